using Workflows.Storage;

namespace Workflows.Tests.Storage;

/// <summary>The in-memory store passes the store contract.</summary>
public sealed class InMemoryWorkflowStoreTests : WorkflowStoreContractTests
{
    protected override Task<IWorkflowStore> CreateStoreAsync() => Task.FromResult<IWorkflowStore>(new InMemoryWorkflowStore());
}
