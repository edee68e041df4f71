using System.Text.Json.Serialization;

// The run methods tell the test's probe (an injected service) what they saw and how often they ran, again on every
// replay: the repetition WF0015 warns of, here on purpose, so the rule is off for this file.
#pragma warning disable WF0015

namespace Workflows.Tests.TestWorkflows;

/// <summary>Uses the recording Workflow API: the time, a guid and a durable sleep, around a step.</summary>
[Workflow("durable-values")]
public partial class DurableValuesWorkflow(Probe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(int sleepMilliseconds)
    {
        var startedAt = Workflow.UtcNow;
        var id = Workflow.NewGuid();
        probe.Saw("startedAt", startedAt);
        probe.Saw("id", id);
        await Workflow.SleepAsync(TimeSpan.FromMilliseconds(sleepMilliseconds));
        var echoed = await EchoAsync(id.ToString());
        return $"{startedAt:O}|{echoed}";
    }

    [Step("echo")]
    private async Task<string> EchoAsync(string text)
    {
        probe.Called("echo");
        await probe.WaitIfHeldAsync();
        return text;
    }
}

/// <summary>A polymorphic hierarchy the generator does not serialize itself: carried by the user's own context.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind")]
[JsonDerivedType(typeof(Circle), "circle")]
[JsonDerivedType(typeof(Square), "square")]
public abstract record Figure;

public sealed record Circle(double Radius) : Figure;

public sealed record Square(double Side) : Figure;

[JsonSerializable(typeof(Figure))]
public sealed partial class FigureJsonContext : JsonSerializerContext;

[Workflow("figures", JsonSerializerContext = typeof(FigureJsonContext))]
public partial class FigureWorkflow(Probe probe)
{
    [WorkflowRun]
    public async Task<string> RunAsync(double size)
    {
        var round = await MakeAsync("circle", size);
        var square = await MakeAsync("square", size);
        probe.Saw("figures", round);
        probe.Saw("figures", square);
        return $"{round}|{square}";
    }

    [Step("make")]
    private Task<Figure> MakeAsync(string kind, double size)
    {
        probe.Called("make");
        return Task.FromResult<Figure>(kind == "circle" ? new Circle(size) : new Square(size));
    }
}
