#!/usr/bin/env bash
# The sample's acceptance scenario: a clean run; a run that dies right after a middle step is journaled; a plain
# run that resumes it, replays the recorded steps, runs the rest and ends with the clean run's output.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dotnet build "$root/samples/OrderFulfillment" -c Release -nologo -v:quiet >/dev/null
sample() { dotnet run --project "$root/samples/OrderFulfillment" -c Release --no-build -- "$@"; }

clean="$(sample --db "$work/clean.db")"
echo "$clean"
expected="$(grep '^Output: ' <<<"$clean")" || { echo "sample: the clean run printed no output"; exit 1; }

set +e
crashed="$(sample --db "$work/crash.db" --crash-after charge-payment)"
code=$?
set -e
echo "$crashed"
[ "$code" -ne 0 ] || { echo "sample: --crash-after exited 0"; exit 1; }
grep -q "crashing right after 'charge-payment'" <<<"$crashed" || { echo "sample: did not crash where asked"; exit 1; }

resumed="$(sample --db "$work/crash.db")"
echo "$resumed"
grep -q 'Resuming unfinished run' <<<"$resumed" || { echo "sample: the second run did not resume"; exit 1; }
grep -q '2 step(s) replayed from the journal, 2 ran in this process' <<<"$resumed" || { echo "sample: wrong replay split"; exit 1; }
actual="$(grep '^Output: ' <<<"$resumed")"
[ "$actual" = "$expected" ] || { echo "sample: resumed output differs:"; echo " clean:   $expected"; echo " resumed: $actual"; exit 1; }
echo "sample OK (exit code of the crashed run: $code)"
