#!/usr/bin/env bash
# The AgentPipeline sample's acceptance scenario: a clean run (approved by the program itself once the run waits); a run
# that dies right after one agent of the parallel wave is journaled; a plain run that resumes it, replays the recorded
# steps, runs the rest and ends with the clean run's output; and a run with --skip-risk --no-approval whose risk step
# skips itself and whose approval wait times out.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "agent sample: $*"; exit 1; }
dotnet build "$root/samples/AgentPipeline" -c Release -nologo -v:quiet >/dev/null
sample() { dotnet run --project "$root/samples/AgentPipeline" -c Release --no-build -- "$@"; }

clean="$(sample --db "$work/clean.db")"
echo "$clean"
expected="$(grep '^Output: ' <<<"$clean")" || fail "the clean run printed no output"
grep -q 'approval sent' <<<"$clean" || fail "the clean run was not approved by the program"
grep -q '"approved":true' <<<"$expected" || fail "the clean run's output is not approved"
grep -q '^  Totals (run and its children): [1-9][0-9]* tokens in, [1-9][0-9]* tokens out, \$0\.[0-9]*[1-9]' <<<"$clean" \
  || fail "the clean run printed no token/cost totals"
[ "$(grep -c 'write-section' <<<"$clean")" -eq 3 ] || fail "the clean run did not show three child sections"

# trend answers before indicator: killed right after trend's commit, indicator is still in flight.
set +e
crashed="$(sample --db "$work/crash.db" --crash-after trend)"
code=$?
set -e
echo "$crashed"
[ "$code" -ne 0 ] || fail "--crash-after exited 0"
grep -q "crashing right after 'trend'" <<<"$crashed" || fail "did not crash where asked"
if grep -q '^Output: ' <<<"$crashed"; then fail "the crashed run got to its end"; fi

resumed="$(sample --db "$work/crash.db")"
echo "$resumed"
grep -q 'Resuming unfinished run' <<<"$resumed" || fail "the second run did not resume"
split="$(grep -E '^  [0-9]+ step\(s\) replayed from the journal, [0-9]+ ran in this process$' <<<"$resumed")" || fail "no replay split printed"
replayed="$(sed -E 's/^  ([0-9]+) step.*/\1/' <<<"$split")"
ran="$(sed -E 's/.*journal, ([0-9]+) ran.*/\1/' <<<"$split")"
[ "$replayed" -ge 2 ] || fail "expected collect-data and trend replayed, got: $split"
[ "$ran" -ge 1 ] || fail "nothing ran after the resume: $split"
grep -Eq '^  ✓ +[0-9]+\. collect-data .* replayed ' <<<"$resumed" || fail "collect-data was not replayed"
grep -Eq '^  ✓ +[0-9]+\. trend .* replayed ' <<<"$resumed" || fail "trend was not replayed"
grep -Eq '^  ✓ +[0-9]+\. compose-report .* ran ' <<<"$resumed" || fail "compose-report did not run after the resume"
actual="$(grep '^Output: ' <<<"$resumed")" || fail "the resumed run printed no output"
[ "$actual" = "$expected" ] || { echo "agent sample: resumed output differs:"; echo " clean:   $expected"; echo " resumed: $actual"; exit 1; }

declined="$(sample --db "$work/declined.db" --skip-risk --no-approval)"
echo "$declined"
grep -Eq '^  ↷ +[0-9]+\. risk .*skipped: ' <<<"$declined" || fail "the risk step did not skip itself with --skip-risk"
grep -Eq '^  ✗ +[0-9]+\. approval \[event\] .*EventTimeout' <<<"$declined" || fail "the approval wait did not time out with --no-approval"
grep -q '^Output: .*"approved":false' <<<"$declined" || fail "--no-approval did not end as not approved"
echo "agent sample OK (exit code of the crashed run: $code; resume: $split)"
