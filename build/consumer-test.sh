#!/usr/bin/env bash
# Packs the packages, then follows README.md's quickstart in a new project outside the repository: the code
# blocks marked <!-- quickstart:FILE --> are extracted verbatim, so the README cannot drift from what works.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
"$root/build/pack.sh" >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A package of the same version restored earlier would be taken from the cache instead of the new one.
rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/workflows" "${NUGET_PACKAGES:-$HOME/.nuget/packages}/workflows.sqlite"

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
