using Workflows.CodeFixes.Tests.Infrastructure;

namespace Workflows.CodeFixes.Tests;

/// <summary>WF0004: a workflow class that is not partial, or is nested in a type that is not, is made partial.</summary>
public sealed class MakeWorkflowPartialCodeFixTests
{
    private static readonly MakeWorkflowPartialCodeFixProvider s_provider = new();

    private const string Members = """
            [WorkflowRun]
            public Task<string> RunAsync(string name) => GreetAsync(name);

            [Step]
            private Task<string> GreetAsync(string name) => Task.FromResult("Hello, " + name);
        """;

    [Fact]
    public Task Partial_goes_after_the_other_modifiers() => CodeFixHarness.VerifyFixAsync(s_provider,
        $$"""
        using Workflows;

        namespace Greetings;

        [Workflow("greet")]
        public sealed class [|GreetWorkflow|]
        {
        {{Members}}
        }
        """,
        $$"""
        using Workflows;

        namespace Greetings;

        [Workflow("greet")]
        public sealed partial class GreetWorkflow
        {
        {{Members}}
        }
        """);

    [Fact]
    public Task A_class_without_modifiers_keeps_its_attribute_and_doc_comment_layout() => CodeFixHarness.VerifyFixAsync(s_provider,
        $$"""
        using Workflows;

        namespace Greetings
        {
            /// <summary>Greets.</summary>
            [Workflow]
            class [|GreetWorkflow|] // the greeting
            {
            {{Members.Replace("\n", "\n    ")}}
            }
        }
        """,
        $$"""
        using Workflows;

        namespace Greetings
        {
            /// <summary>Greets.</summary>
            [Workflow]
            partial class GreetWorkflow // the greeting
            {
            {{Members.Replace("\n", "\n    ")}}
            }
        }
        """);

    [Fact]
    public Task A_class_with_only_a_doc_comment_before_it_keeps_the_comment_above() => CodeFixHarness.VerifyFixAsync(s_provider,
        $$"""
        using Workflows;

        /// <summary>Greets.</summary>
        [Workflow] class [|GreetWorkflow|]
        {
        {{Members}}
        }
        """,
        $$"""
        using Workflows;

        /// <summary>Greets.</summary>
        [Workflow] partial class GreetWorkflow
        {
        {{Members}}
        }
        """);

    [Fact]
    public Task Containing_types_that_are_not_partial_are_made_partial_too() => CodeFixHarness.VerifyFixAsync(s_provider,
        $$"""
        using Workflows;

        namespace Greetings;

        public static class Outer
        {
            internal class Middle
            {
                [Workflow]
                public class [|GreetWorkflow|]
                {
                {{Members.Replace("\n", "\n        ")}}
                }
            }
        }
        """,
        $$"""
        using Workflows;

        namespace Greetings;

        public static partial class Outer
        {
            internal partial class Middle
            {
                [Workflow]
                public partial class GreetWorkflow
                {
                {{Members.Replace("\n", "\n        ")}}
                }
            }
        }
        """);

    [Fact]
    public Task A_partial_workflow_in_a_type_that_is_not_partial_gets_partial_on_that_type_only() => CodeFixHarness.VerifyFixAsync(s_provider,
        $$"""
        using Workflows;

        namespace Greetings;

        public record Outer(string Name)
        {
            [Workflow]
            public partial class [|GreetWorkflow|]
            {
            {{Members.Replace("\n", "\n    ")}}
            }
        }
        """,
        $$"""
        using Workflows;

        namespace Greetings;

        public partial record Outer(string Name)
        {
            [Workflow]
            public partial class GreetWorkflow
            {
            {{Members.Replace("\n", "\n    ")}}
            }
        }
        """);

    [Fact]
    public Task A_record_workflow_nested_in_a_class_is_made_partial_with_its_class() => CodeFixHarness.VerifyFixAsync(s_provider,
        $$"""
        using Workflows;

        namespace Greetings;

        public class Outer
        {
            [Workflow]
            public sealed record [|GreetWorkflow|]
            {
            {{Members.Replace("\n", "\n    ")}}
            }
        }
        """,
        $$"""
        using Workflows;

        namespace Greetings;

        public partial class Outer
        {
            [Workflow]
            public sealed partial record GreetWorkflow
            {
            {{Members.Replace("\n", "\n    ")}}
            }
        }
        """);

    [Theory]
    [InlineData("public partial class [|GreetWorkflow|]<T>")]
    [InlineData("public abstract partial class [|GreetWorkflow|]")]
    public Task No_fix_is_offered_when_the_class_is_already_partial(string declaration) => CodeFixHarness.VerifyNoFixAsync(s_provider,
        $$"""
        using Workflows;

        namespace Greetings;

        [Workflow]
        {{declaration}}
        {
        {{Members}}
        }
        """);
}
