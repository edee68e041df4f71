using System.Diagnostics;
using Workflows.Serialization;
using Workflows.Storage;

namespace Workflows.Benchmarks;

/// <summary>
/// What the engine adds to a step on the in-memory store: runs of 1,000 of the peers' steps through the engine, against
/// the same workflow called as a plain method (its step wrappers outside a run call the bodies), per step; and, beside it,
/// what the step's result costs to write to JSON and read back with its journal codec.
/// </summary>
internal static class OverheadWorkload
{
    public const int StepsPerRun = 1_000;
    public const int Runs = 20;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    public sealed record Result(double PlainUs, double EngineUs, double SerializationUs)
    {
        public double AddedUs => EngineUs - PlainUs;
    }

    public static async Task<Result> RunAsync()
    {
        var plain = new PeerSteps();
        // Warm-ups of a second each: the measured code is the JIT's final tier, not its first.
        var warming = Stopwatch.StartNew();
        while (warming.Elapsed < WarmUp) await plain.RunAsync(StepsPerRun);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Runs; i++)
        {
            if (await plain.RunAsync(StepsPerRun) != PeerSteps.Expected(StepsPerRun)) throw new InvalidOperationException("the plain run returned the wrong total");
        }
        var plainUs = watch.Elapsed.TotalMicroseconds / (Runs * StepsPerRun);

        await using var engine = new WorkflowEngine(new InMemoryWorkflowStore()).Register(PeerSteps.Definition);
        warming.Restart();
        while (warming.Elapsed < WarmUp) await engine.RunAsync(PeerSteps.Definition, StepsPerRun);
        watch.Restart();
        for (var i = 0; i < Runs; i++)
        {
            if (await engine.RunAsync(PeerSteps.Definition, StepsPerRun) != PeerSteps.Expected(StepsPerRun)) throw new InvalidOperationException("the engine run returned the wrong total");
        }
        var engineUs = watch.Elapsed.TotalMicroseconds / (Runs * StepsPerRun);

        var codec = JsonCodecRegistry.Get<PeerItem>("the overhead benchmark");
        var item = new PeerItem(7, new string('x', 64));
        const int rounds = 100_000;
        warming.Restart();
        while (warming.Elapsed < WarmUp) codec.Deserialize(codec.Serialize(item));
        watch.Restart();
        for (var i = 0; i < rounds; i++)
        {
            if (codec.Deserialize(codec.Serialize(item)).I != 7) throw new InvalidOperationException("the codec lost the value");
        }
        var serializationUs = watch.Elapsed.TotalMicroseconds / rounds;
        return new Result(plainUs, engineUs, serializationUs);
    }
}
