#!/usr/bin/env bash
# The one test command: builds everything (warnings are errors in src/), runs every test project, packs the
# packages and builds a consumer from them, and runs the sample's crash-and-resume scenario.
# Works on a fresh machine: whatever it needs beyond the .NET SDK it installs itself.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\n== %s\n' "$*"; }

log "build (Release)"
build_log="$(mktemp)"
dotnet build Workflows.sln -c Release -nologo -v:minimal 2>&1 | tee "$build_log"
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
# The clean corpus: the samples and every valid workflow of the tests build without a single Workflows diagnostic.
if grep -E '(warning|error) WF[0-9]{4}' "$build_log"; then
  echo "!! the build raised Workflows diagnostics on code that should be clean"; exit 1
fi
rm -f "$build_log"

log "tests"
# The dashboard's tests drive a real headless Chromium (Debian's, through Microsoft.Playwright): install it when missing.
if [ ! -x /usr/bin/chromium ]; then
  [ "$(id -u)" -eq 0 ] || { echo "!! /usr/bin/chromium is missing and installing it needs root: apt-get install -y chromium"; exit 1; }
  echo "installing chromium (apt-get install -y chromium)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq chromium >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq chromium >/dev/null || { echo "!! could not install chromium (apt-get install -y chromium)"; exit 1; }
  fi
  [ -x /usr/bin/chromium ] || { echo "!! apt-get installed chromium but /usr/bin/chromium is missing"; exit 1; }
fi
# The PostgreSQL store's tests need a server: a private one (build/postgres.sh; installed when missing), on 127.0.0.1
# and a free port, its data in a temporary folder; fsync off (functional tests only). The tests read WORKFLOWS_POSTGRES.
source "$root/build/postgres.sh"
POSTGRES_FSYNC=off postgres_start || exit 1
results="$(mktemp -d)"
trap 'rm -rf "$results"; postgres_stop' EXIT
passed=0; failed=0; skipped=0; status=0; failed_stages=()
# A whole-process stage counts as one test.
stage() {
  if "$@"; then passed=$((passed + 1)); else status=1; failed=$((failed + 1)); failed_stages+=("$(basename "$1")"); fi
}
for project in tests/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  case "$name" in *Benchmarks*) continue ;; esac
  echo "-- $name"
  if ! dotnet test "$project" -c Release --no-build -nologo --logger "console;verbosity=minimal" 2>&1 | tee "$results/$name.log"; then
    status=1
  fi
  line="$(grep -E '(Passed|Failed)!? +- +Failed: +[0-9]+, +Passed: +[0-9]+' "$results/$name.log" | tail -n 1 || true)"
  if [ -z "$line" ]; then
    echo "!! $name reported no test results"; status=1; continue
  fi
  f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$line")
  p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$line")
  s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done

log "package and consumer"
stage "$root/build/consumer-test.sh"

log "sample: run, crash, resume"
stage "$root/build/sample-test.sh"
stage "$root/build/agent-sample-test.sh"
stage "$root/build/service-sample-test.sh"

echo
if [ "$status" -ne 0 ]; then
  # The failures again, last, where a reader of the tail of this output (CI's summary) finds them.
  echo "== failures"
  for file in "$results"/*.log; do
    [ -e "$file" ] || continue
    grep -E -A12 '^\s*Failed [A-Za-z_][A-Za-z0-9_.]* \[' "$file" | sed "s|^|$(basename "$file" .log): |" | cut -c1-400 || true
  done
  for stage in "${failed_stages[@]}"; do echo "stage failed: $stage"; done
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
