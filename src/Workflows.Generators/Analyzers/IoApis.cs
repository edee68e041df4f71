using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace Workflows.Generators.Analyzers;

/// <summary>Which methods of an I/O type act on the world.</summary>
internal enum IoMembers
{
    /// <summary>Every method except those of <c>System.Object</c>.</summary>
    All,

    /// <summary>Every method except those of <c>System.Object</c> and the factories named <c>Create…</c> (a command, a parameter: no I/O yet).</summary>
    AllButFactories,

    /// <summary>Only the methods that move to the next row or result (<c>Read</c>, <c>NextResult</c> and their async forms); reading the current row's columns is not I/O.</summary>
    RowMoves,
}

/// <summary>One row of the I/O table: a type (its subclasses and implementations included), which of its methods count, and how the message names it.</summary>
internal sealed class IoType
{
    public IoType(string metadataName, IoMembers members, string description)
    {
        MetadataName = metadataName;
        Members = members;
        Description = description;
    }

    public string MetadataName { get; }

    public IoMembers Members { get; }

    /// <summary>What the message says the call is I/O on: "a stream", "a database connection".</summary>
    public string Description { get; }
}

/// <summary>
/// The types whose calls are I/O wherever their instance comes from (WF0015), and the injected services that are not
/// I/O (logging, options, configuration, service resolution, the clock). <see cref="Resolve"/> turns both tables into
/// symbols once per compilation, skipping the types the compilation does not have.
/// </summary>
/// <remarks>
/// WF0007's <see cref="NonDeterministicApis"/> already reports some of these calls (HttpClient's request methods, the
/// file APIs, FileStream); WF0015 leaves every call that table matches to WF0007, so no call is reported twice.
/// </remarks>
internal sealed class IoApis
{
    /// <summary>The I/O types, checked in this order (a type matching two rows takes the first).</summary>
    public static readonly IReadOnlyList<IoType> Table = new[]
    {
        // Memory streams are streams that do no I/O: listed first so that they match here and are let through.
        new IoType("System.IO.MemoryStream", IoMembers.All, ""),
        new IoType("System.IO.UnmanagedMemoryStream", IoMembers.All, ""),
        new IoType("System.IO.Stream", IoMembers.All, "a stream"),
        new IoType("System.IO.StreamReader", IoMembers.All, "a stream reader"),
        new IoType("System.IO.StreamWriter", IoMembers.All, "a stream writer"),
        new IoType("System.IO.RandomAccess", IoMembers.All, "a file"),
        new IoType("System.IO.Compression.ZipFile", IoMembers.All, "a file"),

        new IoType("System.Net.Http.HttpMessageInvoker", IoMembers.All, "an HttpClient"),
        new IoType("System.Net.Http.HttpContent", IoMembers.All, "HTTP content"),
        new IoType("System.Net.Mail.SmtpClient", IoMembers.All, "an SmtpClient"),
        new IoType("System.Net.NetworkInformation.Ping", IoMembers.All, "the network"),

        new IoType("System.Data.Common.DbConnection", IoMembers.AllButFactories, "a database connection"),
        new IoType("System.Data.IDbConnection", IoMembers.AllButFactories, "a database connection"),
        new IoType("System.Data.Common.DbCommand", IoMembers.AllButFactories, "a database command"),
        new IoType("System.Data.IDbCommand", IoMembers.AllButFactories, "a database command"),
        new IoType("System.Data.Common.DbBatch", IoMembers.AllButFactories, "a database batch"),
        new IoType("System.Data.Common.DbTransaction", IoMembers.All, "a database transaction"),
        new IoType("System.Data.IDbTransaction", IoMembers.All, "a database transaction"),
        new IoType("System.Data.Common.DbDataReader", IoMembers.RowMoves, "a data reader"),
        new IoType("System.Data.IDataReader", IoMembers.RowMoves, "a data reader"),
    };

    /// <summary>
    /// Injected services whose calls are not reported: logging (a log line is no state the workflow reads back; it is
    /// written again on replay, which <c>Workflow.IsReplaying</c> can skip), options and configuration (reads of
    /// settings), service resolution, and the clock (<c>TimeProvider</c> is WF0007's).
    /// </summary>
    public static readonly IReadOnlyList<string> ExemptServices = new[]
    {
        "Microsoft.Extensions.Logging.ILogger",
        "Microsoft.Extensions.Logging.ILoggerFactory",
        "Microsoft.Extensions.Logging.ILoggerProvider",
        "Microsoft.Extensions.Options.IOptions`1",
        "Microsoft.Extensions.Options.IOptionsSnapshot`1",
        "Microsoft.Extensions.Options.IOptionsMonitor`1",
        "Microsoft.Extensions.Options.IOptionsFactory`1",
        "Microsoft.Extensions.Configuration.IConfiguration",
        "System.IServiceProvider",
        "Microsoft.Extensions.DependencyInjection.IServiceScopeFactory",
        "System.TimeProvider",
    };

    private readonly List<(INamedTypeSymbol Type, IoType Row)> _ioTypes;
    private readonly List<INamedTypeSymbol> _exempt;

    private IoApis(List<(INamedTypeSymbol Type, IoType Row)> ioTypes, List<INamedTypeSymbol> exempt)
    {
        _ioTypes = ioTypes;
        _exempt = exempt;
    }

    /// <summary>The tables as symbols of <paramref name="compilation"/>.</summary>
    public static IoApis Resolve(Compilation compilation)
    {
        var ioTypes = new List<(INamedTypeSymbol Type, IoType Row)>();
        foreach (var row in Table)
        {
            if (compilation.GetTypeByMetadataName(row.MetadataName) is { } type) ioTypes.Add((type, row));
        }
        var exempt = new List<INamedTypeSymbol>();
        foreach (var name in ExemptServices)
        {
            if (compilation.GetTypeByMetadataName(name) is { } type) exempt.Add(type);
        }
        return new IoApis(ioTypes, exempt);
    }

    /// <summary>The row <paramref name="type"/> falls under (itself, a base class or an interface it implements), or null.</summary>
    public IoType? RowOf(ITypeSymbol? type)
    {
        if (type is null || type.TypeKind == TypeKind.Error) return null;
        foreach (var (ioType, row) in _ioTypes)
        {
            if (IsOrInherits(type, ioType)) return row;
        }
        return null;
    }

    /// <summary>
    /// Whether calling <paramref name="method"/> on an instance under <paramref name="row"/> is I/O. A memory stream's
    /// row has no description: nothing on it is.
    /// </summary>
    public static bool IsIo(IoType row, IMethodSymbol method)
    {
        if (row.Description.Length == 0 || IsObjectMember(method)) return false;
        return row.Members switch
        {
            IoMembers.AllButFactories => !method.Name.StartsWith("Create", System.StringComparison.Ordinal),
            IoMembers.RowMoves => method.Name is "Read" or "ReadAsync" or "NextResult" or "NextResultAsync",
            _ => true,
        };
    }

    /// <summary>Whether an injected service of <paramref name="type"/> is one whose calls are not I/O (logging, options, configuration, ...).</summary>
    public bool IsExemptService(ITypeSymbol type)
    {
        foreach (var exempt in _exempt)
        {
            if (IsOrInherits(type, exempt)) return true;
        }
        return false;
    }

    /// <summary>
    /// What can be an injected service: a class or an interface, not a string, an array, a delegate (a factory
    /// <c>Func&lt;T&gt;</c> builds an object), a value type, a type parameter, or a collection (an injected
    /// <c>IEnumerable&lt;IValidator&gt;</c> is iterated, which is no I/O; what its elements do is not followed).
    /// </summary>
    public static bool CanBeService(ITypeSymbol? type) =>
        type is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Interface } named
        && named.SpecialType is not (SpecialType.System_String or SpecialType.System_Object or SpecialType.System_Collections_IEnumerable)
        && !IsCollection(named);

    private static bool IsCollection(INamedTypeSymbol type)
    {
        foreach (var implemented in type.AllInterfaces)
        {
            if (implemented.SpecialType == SpecialType.System_Collections_IEnumerable) return true;
        }
        return false;
    }

    /// <summary>ToString, Equals, GetHashCode, GetType, and their overrides: never I/O.</summary>
    public static bool IsObjectMember(IMethodSymbol method)
    {
        for (var current = method; current is not null; current = current.OverriddenMethod)
        {
            if (current.ContainingType?.SpecialType == SpecialType.System_Object) return true;
        }
        return method.Name == "GetType" && method.Parameters.Length == 0;
    }

    private static bool IsOrInherits(ITypeSymbol type, INamedTypeSymbol ancestor)
    {
        if (ancestor.TypeKind == TypeKind.Interface)
        {
            if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, ancestor)) return true;
            foreach (var implemented in type.AllInterfaces)
            {
                if (SymbolEqualityComparer.Default.Equals(implemented.OriginalDefinition, ancestor)) return true;
            }
            return false;
        }
        return WorkflowAttributeSymbols.IsOrDerivesFrom(type, ancestor);
    }
}
