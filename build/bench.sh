#!/usr/bin/env bash
# Runs the BenchmarkDotNet suite (tests/Workflows.Benchmarks): plain calls, in-memory journal and SQLite journal side by
# side in one run, printed as means and ratios. Pass BenchmarkDotNet arguments through, e.g. ./build/bench.sh --job short.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$root"
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--filter '*')
dotnet run -c Release --project tests/Workflows.Benchmarks -- "${args[@]}"
