using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Workflows.Benchmarks -- [BenchmarkDotNet arguments, e.g. --filter *]
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
