#!/usr/bin/env bash
# Writes the Workflows package (runtime, generator as an analyzer, InterceptorsNamespaces targets) and the
# Workflows.Sqlite, Workflows.PostgreSql and Workflows.Hosting packages, and the Workflows.Cli tool package (the `workflows` command), to
# artifacts/packages/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out="$root/artifacts/packages"
mkdir -p "$out"
rm -f "$out"/Workflows.*.nupkg
dotnet build src/Workflows.Generators -c Release -nologo -v:quiet
dotnet pack src/Workflows -c Release -nologo -v:quiet -o "$out"
dotnet pack src/Workflows.Sqlite -c Release -nologo -v:quiet -o "$out"
dotnet pack src/Workflows.PostgreSql -c Release -nologo -v:quiet -o "$out"
dotnet pack src/Workflows.Hosting -c Release -nologo -v:quiet -o "$out"
dotnet pack src/Workflows.Dashboard -c Release -nologo -v:quiet -o "$out"
dotnet pack src/Workflows.Cli -c Release -nologo -v:quiet -o "$out"
ls -1 "$out"
