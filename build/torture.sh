#!/usr/bin/env bash
# The crash torture at length (issue 14; CI runs a short form in tests/Workflows.Torture.Tests): TortureHost workers
# running a journaled workload are killed with SIGKILL at seeded random moments and started again until every run has
# finished, then the checker compares the journal with the workers' fsynced ledger and with a crash-free session.
#   SQLite:                 one worker, --crashes kills (default 500)
#   PostgreSQL:             2-4 workers at once, --crashes kills (default 200), one SIGSTOPped past its lease now and then;
#                           then a private server restarted with pg_ctl restart -m immediate --restarts times (default 40)
# Per store it prints the seed and "crashes: N, runs: N, lost: 0, re-executed-after-record: 0, extra-executions: N,
# retry-budget-consumed-by-crashes: 0", and every violation found; it exits 1 if there was any.
#   build/torture.sh [--store sqlite|postgres|all] [--crashes N] [--restarts N] [--seed S] [--verbose]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

store=all; crashes=""; restarts=40; seed=""; verbose=()
while [ $# -gt 0 ]; do
  case "$1" in
    --store) store="$2"; shift 2 ;;
    --crashes) crashes="$2"; shift 2 ;;
    --restarts) restarts="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --verbose) verbose=(--verbose); shift ;;
    *) echo "usage: build/torture.sh [--store sqlite|postgres|all] [--crashes N] [--restarts N] [--seed S] [--verbose]"; exit 2 ;;
  esac
done
case "$store" in sqlite|postgres|all) ;; *) echo "!! --store is sqlite, postgres or all, not '$store'"; exit 2 ;; esac
[ -n "$seed" ] || seed=$((RANDOM * 32768 + RANDOM))
args=(--store "$store" --seed "$seed" --restarts "$restarts" --crashes "${crashes:-500}" --pg-crashes "${crashes:-200}" "${verbose[@]}")

echo "== build (Release)"
dotnet build tests/hosts/TortureDriver -c Release -nologo -v:quiet

if [ "$store" != sqlite ]; then
  # The kill phase's server: private, durable (fsync on: a torture measures durability). The restart phase starts one of
  # its own, which it may crash at will.
  source "$root/build/postgres.sh"
  POSTGRES_FSYNC=on postgres_start || exit 1
  trap postgres_stop EXIT
fi

echo "== torture (seed $seed)"
dotnet tests/hosts/TortureDriver/bin/Release/net10.0/TortureDriver.dll "${args[@]}"
