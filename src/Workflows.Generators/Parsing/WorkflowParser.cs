using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Workflows.Generators.Common;
using Workflows.Generators.Model;

namespace Workflows.Generators.Parsing;

/// <summary>
/// Turns a [Workflow] class into its <see cref="WorkflowSpec"/>. What cannot be emitted (an invalid step, a type that
/// cannot round-trip) is left out of the model; the analyzers report it. The parser never throws on half-typed code.
/// </summary>
internal static class WorkflowParser
{
    public static WorkflowSpec? Parse(INamedTypeSymbol type, CancellationToken cancellationToken, Compilation? compilation = null)
    {
        if (!WorkflowSymbols.CanBeExtended(type)) return null;

        var types = new SerializableTypes(SerializableTypes.JsonContextOf(type), compilation);
        var steps = new List<StepSpec>();
        RunSpec? run = null;
        var runMethods = 0;
        foreach (var member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is not IMethodSymbol { MethodKind: MethodKind.Ordinary } method) continue;
            if (WorkflowSymbols.FindAttribute(method, KnownNames.WorkflowRunAttribute) is not null)
            {
                runMethods++;
                run = ParseRun(method, types);
            }
            else if (WorkflowSymbols.FindAttribute(method, KnownNames.StepAttribute) is { } attribute && ParseStep(method, attribute, types) is { } step)
            {
                steps.Add(step);
            }
        }
        if (runMethods != 1) run = null;

        var name = WorkflowSymbols.WorkflowName(type);
        if (WorkflowSymbols.NameProblem(name) is not null) return null; // WF0010 reports it
        var containing = new List<ContainingTypeSpec>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containing.Insert(0, new ContainingTypeSpec(Keyword(outer), outer.Name));
        }
        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
        var fullName = SerializableTypes.IdOf(type);
        var eventTypes = compilation is null ? new List<string>() : EventTypesOf(type, compilation, types, cancellationToken);
        var shapes = types.Shapes;
        // A type pruned from the shapes (inside a rejected cycle) has no codec: it is not journaled here either.
        eventTypes.RemoveAll(id => !shapes.Any(s => s.Id == id));
        var schemaShape = SchemaShapeOf(name, run, steps, shapes, eventTypes);
        return new WorkflowSpec(
            HintName: HintNameOf(type),
            Namespace: ns,
            ContainingTypes: containing.ToEquatableArray(),
            TypeKeyword: Keyword(type),
            ClassName: type.Name,
            FullyQualifiedName: fullName,
            WorkflowName: name,
            Run: run,
            Steps: steps.ToEquatableArray(),
            Constructor: ParseConstructor(type),
            Types: shapes,
            SchemaVersion: VersionOf(schemaShape),
            SchemaShape: schemaShape,
            EventTypeIds: eventTypes.ToEquatableArray(),
            RegistersCodecs: compilation is null
                || (compilation.GetTypeByMetadataName(KnownNames.ModuleInitializerAttribute) is not null
                    && compilation.GetTypeByMetadataName(KnownNames.JsonCodecRegistry) is not null));
    }

    /// <summary>
    /// The shape ids (ordinal order, distinct) of the types journaled by the class's calls of the event APIs without a
    /// codec (<see cref="WorkflowSymbols.EventTypeOf"/>), each accepted into <paramref name="types"/> so that its codec is
    /// emitted and registered. Calls in nested types belong to those types. A type that cannot round-trip is left out
    /// (WF0003 reports it at the call).
    /// </summary>
    private static List<string> EventTypesOf(INamedTypeSymbol type, Compilation compilation, SerializableTypes types, CancellationToken cancellationToken)
    {
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not TypeDeclarationSyntax declaration) continue;
            SemanticModel? model = null;
            foreach (var node in declaration.DescendantNodes(n => n == declaration || n is not BaseTypeDeclarationSyntax))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (node is not InvocationExpressionSyntax invocation || !MayBeEventCall(invocation.Expression)) continue;
                if (!compilation.ContainsSyntaxTree(declaration.SyntaxTree)) break;
                model ??= compilation.GetSemanticModel(declaration.SyntaxTree);
                var method = model.GetSymbolInfo(invocation, cancellationToken).Symbol as IMethodSymbol;
                if (WorkflowSymbols.EventTypeOf(method) is { } eventType && types.Accept(eventType) is { } id) ids.Add(id);
            }
        }
        return ids.ToList();
    }

    /// <summary>A syntactic filter before binding: the call's name is one of the event methods.</summary>
    private static bool MayBeEventCall(ExpressionSyntax expression)
    {
        var name = expression switch
        {
            MemberAccessExpressionSyntax access => access.Name,
            SimpleNameSyntax simple => simple,
            _ => null,
        };
        return name is not null && WorkflowSymbols.EventMethodNames.Contains(name.Identifier.ValueText);
    }

    /// <summary>A file name stem that is unique per type: its dotted full name without the global alias.</summary>
    public static string HintNameOf(INamedTypeSymbol type)
    {
        var text = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "");
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsLetterOrDigit(c) || c == '.' || c == '_' ? c : '_');
        }
        return builder.ToString();
    }

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static RunSpec? ParseRun(IMethodSymbol method, SerializableTypes types)
    {
        if (method.IsStatic || method.IsGenericMethod || WorkflowSymbols.ShapeOf(method.ReturnType) is not { } shape) return null;
        var parameters = ParseParameters(method, types, maxJournaled: 1);
        if (parameters is null) return null;
        string? output = null;
        var outputNullable = true;
        if (WorkflowSymbols.ResultOf(method.ReturnType, shape) is { } result)
        {
            output = types.Accept(result);
            if (output is null) return null;
            outputNullable = SerializableTypes.IsNullable(result);
        }
        var input = method.Parameters.FirstOrDefault(p => !WorkflowSymbols.IsCancellationToken(p.Type));
        var inputNullable = input is null || SerializableTypes.IsNullable(input.Type);
        return new RunSpec(method.Name, shape, output, parameters.Value, inputNullable, outputNullable);
    }

    private static StepSpec? ParseStep(IMethodSymbol method, AttributeData attribute, SerializableTypes types)
    {
        if (method.IsStatic || method.IsGenericMethod || method.IsAbstract || WorkflowSymbols.ShapeOf(method.ReturnType) is not { } shape) return null;
        var parameters = ParseParameters(method, types, maxJournaled: int.MaxValue);
        if (parameters is null) return null;
        string? result = null;
        var resultNullable = true;
        if (WorkflowSymbols.ResultOf(method.ReturnType, shape) is { } resultType)
        {
            result = types.Accept(resultType);
            if (result is null) return null;
            resultNullable = SerializableTypes.IsNullable(resultType);
        }

        var name = WorkflowSymbols.StepName(method);
        if (WorkflowSymbols.NameProblem(name) is not null) return null; // WF0010 reports it
        int maxAttempts = 1, delay = 200;
        double backoff = 2.0;
        foreach (var argument in attribute.NamedArguments)
        {
            switch (argument.Key)
            {
                case "MaxAttempts" when argument.Value.Value is int value: maxAttempts = value; break;
                case "RetryDelayMilliseconds" when argument.Value.Value is int value: delay = value; break;
                case "BackoffFactor" when argument.Value.Value is double value: backoff = value; break;
            }
        }
        if (double.IsNaN(backoff) || double.IsInfinity(backoff) || backoff < 1) backoff = 1;
        if (maxAttempts < 1) maxAttempts = 1;
        if (delay < 0) delay = 0;
        return new StepSpec(method.Name, WorkflowSymbols.WrapperName(method), name, shape, result, parameters.Value, maxAttempts, delay, backoff, resultNullable);
    }

    private static EquatableArray<ParameterSpec>? ParseParameters(IMethodSymbol method, SerializableTypes types, int maxJournaled)
    {
        var result = new List<ParameterSpec>();
        var journaled = 0;
        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None || parameter.IsParams) return null;
            if (WorkflowSymbols.IsCancellationToken(parameter.Type))
            {
                result.Add(new ParameterSpec(parameter.Name, "global::System.Threading.CancellationToken", true));
                continue;
            }
            if (++journaled > maxJournaled) return null;
            var id = types.Accept(parameter.Type);
            if (id is null) return null;
            result.Add(new ParameterSpec(parameter.Name, id, false));
        }
        return result.ToEquatableArray();
    }

    private static ConstructorSpec? ParseConstructor(INamedTypeSymbol type)
    {
        IMethodSymbol? best = null;
        foreach (var constructor in type.InstanceConstructors)
        {
            if (constructor.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal)) continue;
            if (constructor.Parameters.Any(p => p.RefKind != RefKind.None)) continue;
            if (best is null || constructor.Parameters.Length > best.Parameters.Length) best = constructor;
        }
        return best is null
            ? null
            : new ConstructorSpec(best.Parameters.Select(p => new ParameterSpec(p.Name, SerializableTypes.IdOf(p.Type), false)).ToEquatableArray());
    }

    /// <summary>
    /// A stable hash of what replay depends on: the workflow's name, its run signature and each step's name, kind and
    /// signature, and the shape of every type they journal (recursively, as <see cref="SerializableTypes"/> models it:
    /// members' JSON names, types, required and nullable; enum member names; element shapes). The same on every build
    /// and machine; it changes when a step's name or signature, or the shape of one of its types, changes. It is
    /// <see cref="VersionOf"/> of <see cref="SchemaShapeOf"/>, whose text the generated definition carries too.
    /// </summary>
    internal static string SchemaVersionOf(string workflow, RunSpec? run, IReadOnlyList<StepSpec> steps, IEnumerable<TypeShape>? shapes = null,
        IEnumerable<string>? eventTypes = null) =>
        VersionOf(SchemaShapeOf(workflow, run, steps, shapes, eventTypes));

    /// <summary>
    /// The canonical text the schema version hashes. One line (ended by <c>\n</c>) per item, each starting with its label,
    /// so that a line diff of two texts names what changed:
    /// <code>
    /// workflow:NAME
    /// run:signature IN,IN-&gt;OUT                  (only when there is a run method; OUT is void when it has no result)
    /// run:input[?] SHAPE                          (one per journaled run parameter; ? when the input is nullable)
    /// run:output[?] SHAPE                         (when the run has a result; ? when it is nullable)
    /// step:NAME Step(IN,IN)-&gt;OUT in:SHAPE in:SHAPE out[?]:SHAPE   (one per step, ordered by step name)
    /// event:TYPEID SHAPE                          (one per distinct event payload or published-value type, ordered by type id)
    /// </code>
    /// SHAPE is <see cref="DescribeShape"/>'s text. Names have no control characters and JSON names are quoted with
    /// control characters escaped, so no item spans lines.
    /// </summary>
    internal static string SchemaShapeOf(string workflow, RunSpec? run, IReadOnlyList<StepSpec> steps, IEnumerable<TypeShape>? shapes = null,
        IEnumerable<string>? eventTypes = null)
    {
        var byId = new Dictionary<string, TypeShape>(StringComparer.Ordinal);
        if (shapes is not null)
        {
            foreach (var shape in shapes) byId[shape.Id] = shape;
        }
        var text = new StringBuilder();
        text.Append("workflow:").Append(workflow).Append('\n');
        if (run is not null)
        {
            text.Append("run:signature ").Append(string.Join(",", run.Parameters.Where(p => !p.IsCancellationToken).Select(p => p.TypeId)))
                .Append("->").Append(run.OutputTypeId ?? "void").Append('\n');
            foreach (var parameter in run.Parameters.Where(p => !p.IsCancellationToken))
            {
                text.Append("run:input").Append(run.InputNullable ? "?" : "").Append(' ');
                DescribeShape(parameter.TypeId, byId, text);
                text.Append('\n');
            }
            if (run.OutputTypeId is { } output)
            {
                text.Append("run:output").Append(run.OutputNullable ? "?" : "").Append(' ');
                DescribeShape(output, byId, text);
                text.Append('\n');
            }
        }
        foreach (var step in steps.OrderBy(s => s.StepName, StringComparer.Ordinal).ThenBy(s => s.WrapperName, StringComparer.Ordinal))
        {
            text.Append("step:").Append(step.StepName).Append(" Step(")
                .Append(string.Join(",", step.Parameters.Where(p => !p.IsCancellationToken).Select(p => p.TypeId)))
                .Append(")->").Append(step.ResultTypeId ?? "void");
            foreach (var parameter in step.Parameters.Where(p => !p.IsCancellationToken))
            {
                text.Append(" in:");
                DescribeShape(parameter.TypeId, byId, text);
            }
            if (step.ResultTypeId is { } result)
            {
                text.Append(" out").Append(step.ResultNullable ? "?" : "").Append(':');
                DescribeShape(result, byId, text);
            }
            text.Append('\n');
        }
        foreach (var eventType in (eventTypes ?? Enumerable.Empty<string>()).Distinct(StringComparer.Ordinal).OrderBy(id => id, StringComparer.Ordinal))
        {
            text.Append("event:").Append(eventType).Append(' ');
            DescribeShape(eventType, byId, text);
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The schema version of a canonical text: the first 8 bytes of its UTF-8 SHA-256, as lower-case hex.</summary>
    internal static string VersionOf(string schemaShape)
    {
        using var sha = SHA256.Create();
        var hash = sha.ComputeHash(Encoding.UTF8.GetBytes(schemaShape));
        var hex = new StringBuilder(16);
        for (var i = 0; i < 8; i++) hex.Append(hash[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        return hex.ToString();
    }

    /// <summary>
    /// Appends a compact, deterministic description of the shape of <paramref name="typeId"/> and everything it contains.
    /// Within one description a type is spelled out once; a later mention (including a recursive one) is <c>#Id</c>.
    /// </summary>
    internal static void DescribeShape(string typeId, IReadOnlyDictionary<string, TypeShape> shapes, StringBuilder text)
    {
        var described = new HashSet<string>(StringComparer.Ordinal);
        // An explicit stack, so that deep nesting cannot overflow the generator's stack.
        var work = new Stack<object>();
        work.Push(typeId);
        while (work.Count > 0)
        {
            var item = work.Pop();
            if (item is not string id)
            {
                text.Append(((Literal)item).Text);
                continue;
            }
            if (!shapes.TryGetValue(id, out var shape))
            {
                text.Append('?').Append(id);
                continue;
            }
            if (!described.Add(id))
            {
                text.Append('#').Append(id);
                continue;
            }
            switch (shape.Kind)
            {
                case ShapeKind.Primitive:
                    text.Append(id);
                    break;
                case ShapeKind.External:
                    text.Append("external(").Append(id).Append(')');
                    break;
                case ShapeKind.Enum:
                    text.Append("enum(").Append(id).Append('{')
                        .Append(string.Join(",", shape.EnumMembers.Select(m => m.Name).OrderBy(n => n, StringComparer.Ordinal)))
                        .Append("})");
                    break;
                case ShapeKind.Object:
                {
                    text.Append("object(").Append(id).Append('{');
                    var members = shape.Properties.OrderBy(p => p.JsonName, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal).ToList();
                    // Pushed in reverse so that they are written in order.
                    work.Push(new Literal("})"));
                    for (var i = members.Count - 1; i >= 0; i--)
                    {
                        var member = members[i];
                        work.Push(new Literal(";"));
                        work.Push(member.TypeId);
                        work.Push(new Literal(Quote(member.JsonName) + (member.IsRequired ? "!" : "") + (member.IsNullable ? "?" : "") + ":"));
                    }
                    break;
                }
                default:
                    text.Append(shape.Kind switch
                    {
                        ShapeKind.Nullable => "nullable",
                        ShapeKind.Array => "array",
                        ShapeKind.List => "list",
                        _ => "dictionary",
                    }).Append('(').Append(id).Append(shape.ElementNullable ? "|?" : "|");
                    work.Push(new Literal(")"));
                    if (shape.ElementId is { } element) work.Push(element);
                    break;
            }
        }
    }

    private static string Quote(string name)
    {
        var builder = new StringBuilder(name.Length + 2).Append('"');
        foreach (var c in name)
        {
            if (c is '"' or '\\') builder.Append('\\');
            if (char.IsControl(c))
            {
                // Keeps the canonical text line-oriented whatever a [JsonPropertyName] holds.
                builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                continue;
            }
            builder.Append(c);
        }
        return builder.Append('"').ToString();
    }

    private sealed class Literal
    {
        public Literal(string text) => Text = text;
        public string Text { get; }
    }
}
