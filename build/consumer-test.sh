#!/usr/bin/env bash
# Packs the packages, then follows README.md's quickstart in a new project outside the repository: the code
# blocks marked <!-- quickstart:FILE --> are extracted verbatim, so the README cannot drift from what works.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
"$root/build/pack.sh" >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A private package folder: the user's global cache is never read or written, and a package of the same version restored
# earlier cannot be taken instead of the one just built.
export NUGET_PACKAGES="$work/nuget-packages"

extract() { # $1 = file name in the marker
  awk -v want="<!-- quickstart:$1 -->" '
    $0 == want { grab = 1; next }
    grab && /^```/ { if (inside) { exit } else { inside = 1; next } }
    grab && inside { print }
  ' "$root/README.md"
}

cd "$work"
mkdir Hello && cd Hello
extract Hello.csproj > Hello.csproj
extract nuget.config | sed "s#PATH/TO/workflows/artifacts/packages#$root/artifacts/packages#" > nuget.config
extract Program.cs > Program.cs
for f in Hello.csproj nuget.config Program.cs; do
  [ -s "$f" ] || { echo "README.md has no quickstart block for $f"; exit 1; }
done

dotnet build -nologo -v:quiet -warnaserror 2>&1 | tail -n 3
output="$(dotnet run --no-build)"
echo "$output"
grep -q 'Hello, Ada! (delivered 3x)' <<<"$output" || { echo "consumer: unexpected result"; exit 1; }
grep -q 'compose.*Succeeded' <<<"$output" || { echo "consumer: no journaled step in the timeline"; exit 1; }
[ -f hello.db ] || { echo "consumer: no SQLite journal written"; exit 1; }
echo "consumer OK"

# Errors by cause, as the README tells it: a run left unfinished by a crash, then resumed by code whose steps changed, is
# parked (not retried, not fatal) while the program goes on starting new runs; the fixed code resumes it to the end.
variant() { # $1 = name, $2 = sed expression applied to Program.cs
  mkdir -p "$work/$1"
  cp Hello.csproj "$work/$1/$1.csproj"; cp nuget.config "$work/$1/"
  sed "$2" Program.cs > "$work/$1/Program.cs"
  cmp -s Program.cs "$work/$1/Program.cs" && { echo "consumer: variant $1 did not change the program"; exit 1; }
  (cd "$work/$1" && dotnet build -nologo -v:quiet -warnaserror 2>&1 | tail -n 1)
}
variant Crashing 's#await Task.Yield();  #Environment.Exit(3);  #'
variant Renamed 's#\[Step("compose")\]#[Step("compose-text")]#'
set +e
dotnet run --no-build --project "$work/Crashing" >/dev/null 2>&1; code=$?
set -e
[ "$code" -eq 3 ] || { echo "consumer: the crashing variant exited $code"; exit 1; }
parked="$(dotnet run --no-build --project "$work/Renamed")"
echo "$parked"
grep -q "Parked: .*(SchemaMismatch).*'compose'" <<<"$parked" || { echo "consumer: the unfinished run was not parked naming the change"; exit 1; }
grep -q 'Hello, Ada! (delivered 3x)' <<<"$parked" || { echo "consumer: a new run did not complete beside the parked one"; exit 1; }
run_id="$(sed -nE 's/.*dotnet run -- resume ([0-9a-f-]{36}).*/\1/p' <<<"$parked" | head -n 1)"
[ -n "$run_id" ] || { echo "consumer: no run id to resume"; exit 1; }
resumed="$(dotnet run --no-build -- resume "$run_id")"
echo "$resumed"
grep -q "Resumed $run_id: Hello, Ada! (delivered 3x)" <<<"$resumed" || { echo "consumer: the fixed code did not complete the parked run"; exit 1; }
echo "consumer parking OK"

# The analyzers come with the package: a consumer with a broken workflow must fail to build, at the right line.
expect_error() { # $1 = id, $2 = line, $3 = Program.cs text
  local dir="$work/Broken$1"
  mkdir -p "$dir"
  cp "$work/Hello/Hello.csproj" "$dir/Broken.csproj"
  cp "$work/Hello/nuget.config" "$dir/nuget.config"
  printf '%s\n' "$3" > "$dir/Program.cs"
  local log
  if log="$(cd "$dir" && dotnet build -nologo -v:quiet 2>&1)"; then
    echo "consumer: a build with $1 succeeded"; exit 1
  fi
  grep -Eq "Program\.cs\($2,[0-9]+\): error $1" <<<"$log" || { echo "consumer: no $1 at line $2:"; echo "$log" | tail -n 20; exit 1; }
  echo "consumer: $1 reported at Program.cs line $2"
}

expect_error WF0001 12 'using Workflows;

[Workflow]
public partial class Dup
{
    [WorkflowRun]
    public async Task<int> RunAsync(int x) => await OneAsync(x) + await TwoAsync(x);

    [Step("same")]
    private Task<int> OneAsync(int x) => Task.FromResult(x);

    [Step("same")] private Task<int> TwoAsync(int x) => Task.FromResult(x);
}'

expect_error WF0002 10 'using Workflows;

[Workflow]
public partial class Streams
{
    [WorkflowRun]
    public async Task<long> RunAsync(string path) => (await OpenAsync(path)).Length;

    [Step]
    private Task<Stream> OpenAsync(string path) => Task.FromResult<Stream>(new MemoryStream());
}'
echo "consumer diagnostics OK"

# README.md's "Use it in an ASP.NET Core app", verbatim (the <!-- webapp:FILE --> blocks): built from the packed packages,
# started on 127.0.0.1, a run started by its endpoint completes, /health is Healthy.
extract_web() { # $1 = file name in the marker
  awk -v want="<!-- webapp:$1 -->" '
    $0 == want { grab = 1; next }
    grab && /^```/ { if (inside) { exit } else { inside = 1; next } }
    grab && inside { print }
  ' "$root/README.md"
}
mkdir -p "$work/Shop" && cd "$work/Shop"
extract_web Shop.csproj > Shop.csproj
extract_web Program.cs > Program.cs
cp "$work/Hello/nuget.config" nuget.config
for f in Shop.csproj Program.cs; do
  [ -s "$f" ] || { echo "README.md has no webapp block for $f"; exit 1; }
done
dotnet build -nologo -v:quiet -warnaserror 2>&1 | tail -n 3
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
dotnet bin/Debug/net10.0/Shop.dll --urls "http://127.0.0.1:$port" >"$work/shop.log" 2>&1 &
shop=$!
trap 'kill -9 "$shop" 2>/dev/null || true; rm -rf "$work"' EXIT
web_fail() { echo "consumer web app: $*"; tail -n 30 "$work/shop.log"; exit 1; }
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.5; done
[ "$(curl -s "http://127.0.0.1:$port/health")" = Healthy ] || web_fail "/health is not Healthy"
started="$(curl -fs -X POST "http://127.0.0.1:$port/signups/ada@example.com")" || web_fail "POST /signups failed"
run_id="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["runId"])' <<<"$started")"
body=""
for _ in $(seq 1 120); do
  body="$(curl -fs "http://127.0.0.1:$port/signups/$run_id" || true)"
  grep -q '"status":"Succeeded"' <<<"$body" && break
  sleep 0.5
done
echo "$body"
grep -q '"status":"Succeeded"' <<<"$body" || web_fail "run $run_id did not succeed within 60 s"
grep -q '"name":"send-welcome"' <<<"$body" && grep -q '"name":"send-tips"' <<<"$body" || web_fail "the timeline lacks the steps"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/signups/00000000-0000-0000-0000-000000000001")" = 404 ] \
  || web_fail "an unknown run is not 404"
grep -q 'Workflows.Engine' "$work/shop.log" || web_fail "no Workflows.Engine log line"
grep -q 'workflow.run signup' "$work/shop.log" || web_fail "no workflow.run span on the console exporter"
kill -9 "$shop" 2>/dev/null || true; wait "$shop" 2>/dev/null || true
echo "consumer web app OK"
