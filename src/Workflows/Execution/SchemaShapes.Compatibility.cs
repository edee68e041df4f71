using System.Text;

namespace Workflows;

/// <summary>
/// Whether a run recorded under one schema shape can be read by code of another, by the reading rules: members are
/// matched by JSON name, a member the journal holds but the type no longer has is ignored, and a member the type has but
/// the journal lacks reads as its default only when it is optional. So these changes are compatible: a removed member,
/// an added optional member, a member made optional or nullable, an added enum member, an added step, a removed step the
/// run never recorded, a list type swapped for an array or another list type. Everything else (a member's type changed,
/// an added required member, a member made non-nullable, a removed enum member, a step's parameters or result changed
/// in number or kind) is not, and neither is a shape text that cannot be parsed.
/// </summary>
internal static partial class SchemaShapes
{
    /// <summary>A shape nested deeper than this is not compared (it is treated as not compatible).</summary>
    private const int MaxDepth = 512;

    /// <summary>
    /// The changes from <paramref name="recorded"/> to <paramref name="current"/> that the reading rules do not allow,
    /// one description each (empty when every change is compatible).
    /// </summary>
    /// <param name="recordedSteps">The names of the steps the run recorded (a removed step is compatible only if it is not one).</param>
    internal static IReadOnlyList<string> IncompatibleChanges(string recorded, string current, IReadOnlySet<string> recordedSteps)
    {
        var problems = new List<string>();
        try
        {
            var before = SchemaText.Parse(recorded);
            var after = SchemaText.Parse(current);
            if (before.Workflow != after.Workflow) problems.Add($"the workflow's name changed from '{before.Workflow}' to '{after.Workflow}'");
            CompareRun(before, after, problems);
            foreach (var (label, type) in before.Events)
            {
                // An event payload type no longer awaited is compatible; one still awaited is read by the reading rules.
                if (after.Events.TryGetValue(label, out var now)) CompareTop(label, type, now, problems);
            }
            foreach (var (name, step) in before.Steps)
            {
                if (!after.Steps.TryGetValue(name, out var now))
                {
                    if (recordedSteps.Contains(name)) problems.Add($"step:{name} was removed, and the run recorded it");
                    continue;
                }
                CompareStep(name, step, now, problems);
            }
        }
        catch (FormatException e)
        {
            problems.Add($"the recorded shape cannot be compared ({e.Message})");
        }
        return problems;
    }

    private static void CompareRun(SchemaText before, SchemaText after, List<string> problems) =>
        CompareSignature("run", "run:input", "run:output", before.Inputs, before.Output, after.Inputs, after.Output, problems);

    private static void CompareStep(string name, StepShape before, StepShape after, List<string> problems)
    {
        var label = $"step:{name}";
        CompareSignature(label, $"{label} in", $"{label} out", before.Inputs, before.Output, after.Inputs, after.Output, problems);
    }

    /// <summary>The journaled parameters (by position) and result of a run or a step.</summary>
    private static void CompareSignature(string label, string inputLabel, string outputLabel,
        List<TopShape> beforeInputs, TopShape? beforeOutput, List<TopShape> afterInputs, TopShape? afterOutput, List<string> problems)
    {
        if (beforeInputs.Count != afterInputs.Count)
        {
            problems.Add($"{label} changed from {beforeInputs.Count} to {afterInputs.Count} parameter(s)");
        }
        else
        {
            for (var i = 0; i < beforeInputs.Count; i++)
            {
                CompareTop($"{inputLabel} {i + 1}", beforeInputs[i], afterInputs[i], problems);
            }
        }
        switch (beforeOutput, afterOutput)
        {
            case (null, null):
                break;
            case ({ } old, { } now):
                CompareTop(outputLabel, old, now, problems);
                break;
            case (null, _):
                problems.Add($"{label} now returns a result (the run recorded none)");
                break;
            default:
                problems.Add($"{label} no longer returns a result");
                break;
        }
    }

    private static void CompareTop(string label, TopShape before, TopShape after, List<string> problems)
    {
        if (before.Nullable && !after.Nullable)
        {
            problems.Add($"{label}: became non-nullable (the journal may hold null)");
        }
        new ShapeComparison(label, before.Shape, after.Shape, problems).Run();
    }

    /// <summary>One parsed shape text: its run and steps, each with the shapes of what it journals.</summary>
    private sealed record SchemaText(string Workflow, List<TopShape> Inputs, TopShape? Output, Dictionary<string, StepShape> Steps,
        Dictionary<string, TopShape> Events)
    {
        internal static SchemaText Parse(string text)
        {
            var workflow = "";
            var inputs = new List<TopShape>();
            TopShape? output = null;
            var steps = new Dictionary<string, StepShape>(StringComparer.Ordinal);
            var events = new Dictionary<string, TopShape>(StringComparer.Ordinal);
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.TrimEnd('\r');
                if (line.Length == 0) continue;
                if (line.StartsWith("workflow:", StringComparison.Ordinal)) workflow = line["workflow:".Length..];
                else if (line.StartsWith("run:signature ", StringComparison.Ordinal)) continue; // the input and output lines say it by shape
                else if (line.StartsWith("run:input", StringComparison.Ordinal)) inputs.Add(TopOf(line, "run:input".Length));
                else if (line.StartsWith("run:output", StringComparison.Ordinal)) output = TopOf(line, "run:output".Length);
                else if (line.StartsWith("step:", StringComparison.Ordinal))
                {
                    var (name, step) = StepShape.Parse(line);
                    steps[name] = step;
                }
                else if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    // event:TYPEID SHAPE, one per payload type an event wait or a publication journals.
                    var split = EventLabelEnd(line);
                    events[line[..split]] = TopOf(line, split);
                }
                else throw new FormatException($"unknown line '{Cut(line)}'");
            }
            return new SchemaText(workflow, inputs, output, steps, events);
        }

        /// <summary>
        /// Where the label <c>event:TYPEID</c> ends: a type id may hold spaces (<c>Dictionary&lt;string, int&gt;</c>), so it
        /// ends at the first space after which the shape describes that same id (<c>object(TYPEID{</c>, <c>list(TYPEID|</c>, ...).
        /// </summary>
        private static int EventLabelEnd(string line)
        {
            for (var space = line.IndexOf(' ', 6); space > 6; space = line.IndexOf(' ', space + 1))
            {
                var id = line[6..space];
                var shape = line[(space + 1)..];
                if (shape == id || shape == "?" + id
                    || new[] { "object(" + id + "{", "enum(" + id + "{", "external(" + id + ")", "nullable(" + id + "|", "array(" + id + "|", "list(" + id + "|", "dictionary(" + id + "|" }
                        .Any(start => shape.StartsWith(start, StringComparison.Ordinal)))
                {
                    return space;
                }
            }
            throw new FormatException($"no shape in '{Cut(line)}'");
        }

        /// <summary><c>LABEL[?] SHAPE</c>, the label's length given.</summary>
        private static TopShape TopOf(string line, int labelLength)
        {
            var nullable = line.Length > labelLength && line[labelLength] == '?';
            var at = labelLength + (nullable ? 1 : 0);
            if (at >= line.Length || line[at] != ' ') throw new FormatException($"no shape in '{Cut(line)}'");
            return new TopShape(nullable, new ShapeReader(line, at + 1, null).ReadWhole());
        }
    }

    /// <summary>A step's line: <c>step:NAME Step(IN,IN)-&gt;OUT in:SHAPE in:SHAPE out[?]:SHAPE</c>.</summary>
    private sealed record StepShape(List<TopShape> Inputs, TopShape? Output)
    {
        private const string InMarker = " in:";
        private const string OutMarker = " out:";
        private const string NullableOutMarker = " out?:";

        internal static (string Name, StepShape Step) Parse(string line)
        {
            var kind = line.IndexOf(" Step(", StringComparison.Ordinal);
            if (kind <= 5) throw new FormatException($"no signature in '{Cut(line)}'");
            var name = line[5..kind];
            // The signature's type ids may hold anything but the markers; the shapes begin at the first marker.
            var at = FirstMarker(line, kind);
            var inputs = new List<TopShape>();
            TopShape? output = null;
            while (at < line.Length)
            {
                bool isOut;
                var nullable = false;
                if (string.CompareOrdinal(line, at, InMarker, 0, InMarker.Length) == 0) { isOut = false; at += InMarker.Length; }
                else if (string.CompareOrdinal(line, at, OutMarker, 0, OutMarker.Length) == 0) { isOut = true; at += OutMarker.Length; }
                else if (string.CompareOrdinal(line, at, NullableOutMarker, 0, NullableOutMarker.Length) == 0) { isOut = true; nullable = true; at += NullableOutMarker.Length; }
                else throw new FormatException($"unexpected text at {at} of '{Cut(line)}'");
                var reader = new ShapeReader(line, at, StopAtMarker);
                var shape = reader.ReadWhole();
                at = reader.Position;
                if (isOut) output = new TopShape(nullable, shape);
                else inputs.Add(new TopShape(false, shape));
            }
            return (name, new StepShape(inputs, output));
        }

        private static int FirstMarker(string line, int from)
        {
            var first = line.Length;
            foreach (var marker in new[] { InMarker, OutMarker, NullableOutMarker })
            {
                var found = line.IndexOf(marker, from, StringComparison.Ordinal);
                if (found >= 0 && found < first) first = found;
            }
            return first;
        }

        private static bool StopAtMarker(string line, int at) =>
            string.CompareOrdinal(line, at, InMarker, 0, InMarker.Length) == 0
            || string.CompareOrdinal(line, at, OutMarker, 0, OutMarker.Length) == 0
            || string.CompareOrdinal(line, at, NullableOutMarker, 0, NullableOutMarker.Length) == 0;
    }

    private sealed record TopShape(bool Nullable, Shape Shape);

    // Classes, not records: shapes form graphs (a recursive type refers to itself), compared and resolved by identity.
    private abstract class Shape(string id)
    {
        public string Id { get; } = id;
    }

    /// <summary>A primitive (<c>int</c>), an unknown type (<c>?Id</c>) or an external one: compared by id.</summary>
    private sealed class Leaf(string id, string kind) : Shape(id)
    {
        public string Kind { get; } = kind;
    }

    /// <summary><c>#Id</c>: a type described earlier in the same description.</summary>
    private sealed class Reference(string id) : Shape(id);

    private sealed class EnumShape(string id, HashSet<string> members) : Shape(id)
    {
        public HashSet<string> Members { get; } = members;
    }

    private sealed class Member(bool required, bool nullable, Shape shape)
    {
        public bool Required { get; } = required;
        public bool Nullable { get; } = nullable;
        public Shape Shape { get; set; } = shape;
    }

    private sealed class ObjectShape(string id) : Shape(id)
    {
        public Dictionary<string, Member> Members { get; } = new(StringComparer.Ordinal);
    }

    /// <summary><c>nullable</c>, <c>array</c>, <c>list</c> or <c>dictionary</c> of an element.</summary>
    private sealed class Container(string id, string kind, bool elementNullable) : Shape(id)
    {
        public string Kind { get; } = kind;
        public bool ElementNullable { get; } = elementNullable;
        public Shape? Element { get; set; }
    }

    /// <summary>Reads one shape as <c>WorkflowParser.DescribeShape</c> writes it, and the types it spells out.</summary>
    private sealed class ShapeReader(string text, int position, Func<string, int, bool>? stopAtTop)
    {
        private static readonly string[] ContainerKinds = ["nullable", "array", "list", "dictionary"];
        private int _depth;

        public int Position => position;

        /// <summary>The types spelled out in this description, by id (what a <c>#Id</c> refers to).</summary>
        public Dictionary<string, Shape> Described { get; } = new(StringComparer.Ordinal);

        public Shape ReadWhole()
        {
            var shape = Read(top: true);
            if (stopAtTop is null && position != text.Length) throw new FormatException($"unexpected text at {position} of '{Cut(text)}'");
            return Resolve(shape);
        }

        /// <summary>Replaces references by the shapes they name (sharing them, so recursion stays a graph).</summary>
        private Shape Resolve(Shape root)
        {
            var seen = new HashSet<Shape>();
            var work = new Stack<Shape>();
            work.Push(root);
            while (work.Count > 0)
            {
                var shape = work.Pop();
                if (!seen.Add(shape)) continue;
                switch (shape)
                {
                    case ObjectShape o:
                        foreach (var member in o.Members.Values)
                        {
                            member.Shape = Deref(member.Shape);
                            work.Push(member.Shape);
                        }
                        break;
                    case Container { Element: { } element } c:
                        c.Element = Deref(element);
                        work.Push(c.Element);
                        break;
                }
            }
            return Deref(root);
        }

        private Shape Deref(Shape shape) => shape is Reference r
            ? Described.TryGetValue(r.Id, out var target) ? target : throw new FormatException($"#{r.Id} names no type described before it")
            : shape;

        private Shape Read(bool top)
        {
            if (++_depth > MaxDepth) throw new FormatException($"shape nested deeper than {MaxDepth}");
            try
            {
                if (Peek('#')) { position++; return new Reference(ReadBareId(top)); }
                if (Peek('?')) { position++; return new Leaf(ReadBareId(top), "unknown"); }
                if (TryKeyword("external("))
                {
                    var id = ReadUntil(')');
                    position++;
                    return Note(new Leaf(id, "external"));
                }
                if (TryKeyword("enum("))
                {
                    var id = ReadUntil('{');
                    position++;
                    var names = ReadUntil('}');
                    position++;
                    Expect(')');
                    return Note(new EnumShape(id, new HashSet<string>(names.Length == 0 ? [] : names.Split(','), StringComparer.Ordinal)));
                }
                if (TryKeyword("object("))
                {
                    var id = ReadUntil('{');
                    position++;
                    var shape = Note(new ObjectShape(id));
                    while (!Peek('}'))
                    {
                        var name = ReadQuoted();
                        var required = Peek('!') && position++ >= 0;
                        var nullable = Peek('?') && position++ >= 0;
                        Expect(':');
                        var type = Read(top: false);
                        Expect(';');
                        shape.Members[name] = new Member(required, nullable, type);
                    }
                    position++;
                    Expect(')');
                    return shape;
                }
                foreach (var kind in ContainerKinds)
                {
                    if (!TryKeyword(kind + "(")) continue;
                    var id = ReadUntil('|');
                    position++;
                    var elementNullable = Peek('?') && position++ >= 0;
                    var container = Note(new Container(id, kind, elementNullable));
                    if (!Peek(')')) container.Element = Read(top: false);
                    Expect(')');
                    return container;
                }
                return Note(new Leaf(ReadBareId(top), "primitive"));
            }
            finally
            {
                _depth--;
            }
        }

        private T Note<T>(T shape) where T : Shape
        {
            Described.TryAdd(shape.Id, shape);
            return shape;
        }

        private bool Peek(char c) => position < text.Length && text[position] == c;

        private bool TryKeyword(string keyword)
        {
            if (string.CompareOrdinal(text, position, keyword, 0, keyword.Length) != 0) return false;
            position += keyword.Length;
            return true;
        }

        private void Expect(char c)
        {
            if (!Peek(c)) throw new FormatException($"expected '{c}' at {position} of '{Cut(text)}'");
            position++;
        }

        private string ReadUntil(char end)
        {
            var found = text.IndexOf(end, position);
            if (found < 0) throw new FormatException($"expected '{end}' after {position} of '{Cut(text)}'");
            var value = text[position..found];
            position = found;
            return value;
        }

        /// <summary>An id written bare: it ends at a member's or element's end inside a shape, and at a marker or the line's end at the top.</summary>
        private string ReadBareId(bool top)
        {
            var start = position;
            while (position < text.Length)
            {
                var c = text[position];
                if (top ? stopAtTop?.Invoke(text, position) == true : c is ';' or ')') break;
                position++;
            }
            if (position == start) throw new FormatException($"expected a type at {start} of '{Cut(text)}'");
            return text[start..position];
        }

        private string ReadQuoted()
        {
            Expect('"');
            var name = new StringBuilder();
            while (position < text.Length && text[position] != '"')
            {
                var c = text[position++];
                if (c != '\\')
                {
                    name.Append(c);
                    continue;
                }
                if (position >= text.Length) break;
                var escaped = text[position++];
                if (escaped == 'u' && position + 4 <= text.Length)
                {
                    name.Append((char)Convert.ToInt32(text.Substring(position, 4), 16));
                    position += 4;
                }
                else
                {
                    name.Append(escaped);
                }
            }
            Expect('"');
            return name.ToString();
        }
    }

    /// <summary>Compares two resolved shapes member by member, by the reading rules, collecting what is not compatible.</summary>
    private sealed class ShapeComparison(string label, Shape before, Shape after, List<string> problems)
    {
        private readonly HashSet<(Shape, Shape)> _compared = [];

        public void Run()
        {
            // An explicit stack: shapes may be deep, and recursive types are compared once per pair.
            var work = new Stack<(string Path, Shape Before, Shape After)>();
            work.Push(("$", before, after));
            while (work.Count > 0)
            {
                var (path, old, now) = work.Pop();
                if (!_compared.Add((old, now))) continue;
                switch (old, now)
                {
                    case (Leaf a, Leaf b):
                        if (a.Id != b.Id || a.Kind != b.Kind) Problem(path, $"type changed from {a.Id} to {b.Id}");
                        break;
                    case (EnumShape a, EnumShape b):
                        foreach (var removed in a.Members.Where(m => !b.Members.Contains(m)).Order(StringComparer.Ordinal))
                        {
                            Problem(path, $"enum member {removed} was removed");
                        }
                        break;
                    case (ObjectShape a, ObjectShape b):
                        foreach (var (name, member) in b.Members.OrderBy(m => m.Key, StringComparer.Ordinal))
                        {
                            var memberPath = $"{path}.{name}";
                            if (!a.Members.TryGetValue(name, out var was))
                            {
                                if (member.Required) Problem(memberPath, "a required member was added");
                                continue;
                            }
                            if (member.Required && !was.Required) Problem(memberPath, "became required");
                            if (was.Nullable && !member.Nullable) Problem(memberPath, "became non-nullable (the journal may hold null)");
                            work.Push((memberPath, was.Shape, member.Shape));
                        }
                        break;
                    case (Container { Kind: "nullable" } a, Container { Kind: "nullable" } b):
                        PushElements(work, path, a, b);
                        break;
                    case (_, Container { Kind: "nullable" } b) when old is not Container { Kind: "nullable" }:
                        // T became T?: what was recorded is still a T.
                        if (b.Element is { } element) work.Push((path, old, element));
                        break;
                    case (Container a, Container b) when Family(a.Kind) == Family(b.Kind):
                        if (a.ElementNullable && !b.ElementNullable) Problem(path, "elements became non-nullable (the journal may hold null elements)");
                        PushElements(work, path + (a.Kind == "dictionary" ? ".*" : "[*]"), a, b);
                        break;
                    default:
                        Problem(path, $"changed from {Describe(old)} to {Describe(now)}");
                        break;
                }
            }
        }

        private static void PushElements(Stack<(string, Shape, Shape)> work, string path, Container a, Container b)
        {
            if (a.Element is { } x && b.Element is { } y) work.Push((path, x, y));
        }

        private static string Family(string kind) => kind is "array" or "list" ? "sequence" : kind;

        private static string Describe(Shape shape) => shape switch
        {
            ObjectShape o => $"object {o.Id}",
            EnumShape e => $"enum {e.Id}",
            Container c => $"{c.Kind} {c.Id}",
            _ => shape.Id,
        };

        private void Problem(string path, string what) => problems.Add($"{label} {path}: {what}");
    }

    private static string Cut(string line) => line.Length <= 80 ? line : line[..80] + "…";
}
