using Workflows.Testing;

namespace Workflows.Hosting.Tests;

/// <summary>Fault injection is a test switch: a process that did not turn it on (this one) cannot create faults at all.</summary>
public sealed class FaultInjectionSwitchTests
{
    [Fact]
    public void Without_the_AppContext_switch_WorkflowFaults_cannot_be_created_and_the_error_names_the_switch()
    {
        Assert.False(AppContext.TryGetSwitch(WorkflowFaults.Switch, out var on) && on);
        var refused = Assert.Throws<InvalidOperationException>(() => new WorkflowFaults());
        Assert.Contains("'Workflows.Testing.FaultInjection'", refused.Message, StringComparison.Ordinal);
    }
}
