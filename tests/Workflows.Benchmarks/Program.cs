using BenchmarkDotNet.Running;
using Workflows.Benchmarks;

// dotnet run -c Release --project tests/Workflows.Benchmarks -- suite [--runs N] [--raw-seconds N] [--host PATH] [--dir DIR] [--keep]
//   issue 12's whole suite side by side (build/bench.sh's default): the peers' workload on SQLite and in memory beside raw
//   SQLite before and after, recovery after kill -9 and cold start (tests/hosts/BenchHost), 10,000-step resume, in-memory
//   cost per step, the codec benchmark; --runs N repeats it and prints median and range;
// dotnet run -c Release --project tests/Workflows.Benchmarks -- codecs
//   the suite's child: CodecBenchmarks in a short in-process BenchmarkDotNet job, one CODEC line per category;
// dotnet run -c Release --project tests/Workflows.Benchmarks -- suspended [--runs N] [--sequential-runs N] [--raw-seconds N]
//   the whole-process benchmark of suspended runs (memory, wake-up rate) beside raw SQLite and sequential steps;
// dotnet run -c Release --project tests/Workflows.Benchmarks -- postgres [--runs N] [--in-flight N] [--raw-rows N]
//   the PostgreSQL store on WORKFLOWS_POSTGRES: raw autocommit INSERTs, sequential and concurrent steps/s, side by side;
// dotnet run -c Release --project tests/Workflows.Benchmarks -- [BenchmarkDotNet arguments, e.g. --filter *]
//   the BenchmarkDotNet suite.
if (args.Length > 0 && args[0] == "suite")
{
    return await Suite.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "codecs")
{
    return CodecWorkload.RunChild();
}
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
