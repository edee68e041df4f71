#!/usr/bin/env bash
# Benchmarks (whole processes, not timed tests). From anywhere:
#   ./build/bench.sh [--runs N] [suite args]
#                                       the whole suite of issue 12, side by side in one invocation (tests/Workflows.Benchmarks
#                                       "suite", its child process tests/hosts/BenchHost): the peers' workload (200 workflows x
#                                       10 steps, each returning { I = i, S = 64 x 'x' }) on SQLite at synchronous=FULL and in
#                                       memory, sequential and 16 in flight, beside a raw Microsoft.Data.Sqlite one-row-commit
#                                       loop on a file in the same folder right before and right after (seq / raw, conc / raw);
#                                       recovery: a 100-step run (10 ms per step) in a child killed with kill -9 at 50 side-file
#                                       lines, restarted, restart -> result minus the remaining step sleep, and the cold start of
#                                       a 1-step workflow with its JIT time; a 10,000-step resume in process; the in-memory added
#                                       cost per step; the codec benchmark (BenchmarkDotNet, short in-process job) as ratios.
#                                       Prints `metric: value` lines and a PASS/FAIL line per goal (reported, never an exit
#                                       code). --runs N repeats the whole set N times (interleaved) and prints the median and
#                                       range (min..max) of each metric. Also: --raw-seconds N (each raw loop, default 2),
#                                       --dir DIR (the journals' folder, default a new temp folder), --keep (keep that folder).
#   ./build/bench.sh suspended [args]   the suspended-runs benchmark (tests/Workflows.Benchmarks "suspended"): on one temp
#                                       SQLite file at synchronous=FULL, raw one-row commits/s, the engine's sequential
#                                       step rate, the managed memory of 10,000 runs suspended on a 1-hour sleep over an
#                                       idle engine (PASS/FAIL against 50 MB; a FAIL exits non-zero) and the rate at which
#                                       10,000 due runs complete, side by side (the step rate also 16 runs in flight, with commits per
#                                       step and how many were fsync'd). Arguments: --runs N, --sequential-runs N,
#                                       --raw-seconds N.
#   ./build/bench.sh bdn [BDN args]     the BenchmarkDotNet suite: plain calls, in-memory journal and SQLite journal side by
#                                       side, as means and ratios (default --filter '*'; e.g. ./build/bench.sh bdn --job short).
#   ./build/bench.sh postgres [args]    the PostgreSQL benchmark (tests/Workflows.Benchmarks "postgres") on a private server this
#                                       script starts with fsync and synchronous_commit ON (build/postgres.sh) and stops at the
#                                       end: raw one-INSERT-per-transaction rows/s, the engine's steps/s for 200 runs x 10 steps
#                                       one at a time and 16 in flight, the ratios, and the goal with PASS/FAIL lines (reported,
#                                       never an exit code). Arguments: --runs N, --in-flight N, --raw-rows N.
#   ./build/bench.sh all                the whole suite, then the suspended-runs benchmark, then the BenchmarkDotNet suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$root"
project=tests/Workflows.Benchmarks

suspended() { dotnet run -c Release --project "$project" -- suspended "$@"; }
suite() {
  # Built first, both: the suite runs its child host's binary (tests/hosts/BenchHost/bin/Release/...) directly.
  dotnet build tests/hosts/BenchHost/BenchHost.csproj -c Release -nologo -v:quiet
  dotnet build "$project/Workflows.Benchmarks.csproj" -c Release -nologo -v:quiet
  # The same host published with ReadyToRun (the SDK's assemblies precompiled, as a service deployed with
  # PublishReadyToRun runs them), into a temporary folder, measured beside the JIT host.
  local r2r
  r2r="$(mktemp -d)"
  trap 'rm -rf "$r2r"' RETURN
  dotnet publish tests/hosts/BenchHost/BenchHost.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$r2r" -nologo -v:quiet
  dotnet run -c Release --no-build --project "$project" -- suite --r2r-host "$r2r/BenchHost" "$@"
}
bdn() {
  local args=("$@")
  [ ${#args[@]} -gt 0 ] || args=(--filter '*')
  dotnet run -c Release --project "$project" -- "${args[@]}"
}

postgres() {
  # shellcheck source=build/postgres.sh
  source "$root/build/postgres.sh"
  # Durable commits, as production runs them: no POSTGRES_FSYNC=off here.
  unset POSTGRES_FSYNC
  trap postgres_stop EXIT
  postgres_start
  dotnet run -c Release --project "$project" -- postgres "$@"
}

case "${1:-}" in
  bdn) shift; bdn "$@" ;;
  postgres) shift; postgres "$@" ;;
  suspended) shift; suspended "$@" ;;
  all) shift; suite; suspended; bdn "$@" ;;
  *) suite "$@" ;;
esac
