namespace Workflows.CodeFixes; internal static class Placeholder { }
