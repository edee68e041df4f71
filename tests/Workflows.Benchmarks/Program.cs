using BenchmarkDotNet.Running;
using Workflows.Benchmarks;

// dotnet run -c Release --project tests/Workflows.Benchmarks -- suspended [--runs N] [--sequential-runs N] [--raw-seconds N]
//   the whole-process benchmark of suspended runs (memory, wake-up rate) beside raw SQLite and sequential steps;
// dotnet run -c Release --project tests/Workflows.Benchmarks -- postgres [--runs N] [--in-flight N] [--raw-rows N]
//   the PostgreSQL store on WORKFLOWS_POSTGRES: raw autocommit INSERTs, sequential and concurrent steps/s, side by side;
// dotnet run -c Release --project tests/Workflows.Benchmarks -- [BenchmarkDotNet arguments, e.g. --filter *]
//   the BenchmarkDotNet suite.
if (args.Length > 0 && args[0] == "suspended")
{
    return await SuspendedRunsBenchmark.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "postgres")
{
    return await PostgresBenchmark.RunAsync(args[1..]);
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
