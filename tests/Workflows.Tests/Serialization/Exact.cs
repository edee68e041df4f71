using System.Collections;
using System.Reflection;
using Xunit.Sdk;

namespace Workflows.Tests.Serialization;

/// <summary>
/// Bit-exact structural equality for test values: doubles and floats by their bits (so -0.0 and NaN payloads count),
/// decimals by their bits (so the scale counts), DateTime by ticks and kind, DateTimeOffset by ticks and offset,
/// collections element by element, dictionaries key by key, other objects property by property.
/// </summary>
public static class Exact
{
    public static void Equal(object? expected, object? actual, string path = "value")
    {
        if (Difference(expected, actual, path, 0) is { } difference)
        {
            throw new XunitException(difference);
        }
    }

    private static string? Difference(object? expected, object? actual, string path, int depth)
    {
        if (depth > 32) return $"{path}: too deep";
        if (expected is null || actual is null)
        {
            return expected is null && actual is null ? null : $"{path}: expected {Show(expected)} but got {Show(actual)}";
        }
        switch (expected)
        {
            case double d when actual is double a:
                return BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits(a) ? null : $"{path}: expected {d:R} but got {a:R}";
            case float f when actual is float a:
                return BitConverter.SingleToInt32Bits(f) == BitConverter.SingleToInt32Bits(a) ? null : $"{path}: expected {f:R} but got {a:R}";
            case decimal m when actual is decimal a:
                return decimal.GetBits(m).SequenceEqual(decimal.GetBits(a)) ? null : $"{path}: expected {m} (scale {m.Scale}) but got {a} (scale {a.Scale})";
            case DateTime t when actual is DateTime a:
                return t.Ticks == a.Ticks && t.Kind == a.Kind ? null : $"{path}: expected {t:O} ({t.Kind}) but got {a:O} ({a.Kind})";
            case DateTimeOffset t when actual is DateTimeOffset a:
                return t.EqualsExact(a) ? null : $"{path}: expected {t:O} but got {a:O}";
            case string s when actual is string a:
                return string.Equals(s, a, StringComparison.Ordinal) ? null : $"{path}: expected {Show(s)} but got {Show(a)}";
        }

        var type = expected.GetType();
        if (type.IsPrimitive || type.IsEnum || expected is Guid or TimeSpan or DateOnly or TimeOnly or char)
        {
            return expected.GetType() == actual.GetType() && expected.Equals(actual) ? null : $"{path}: expected {Show(expected)} but got {Show(actual)}";
        }

        if (expected is IDictionary expectedMap)
        {
            if (actual is not IDictionary actualMap) return $"{path}: expected a dictionary but got {actual.GetType().Name}";
            if (expectedMap.Count != actualMap.Count) return $"{path}: expected {expectedMap.Count} entries but got {actualMap.Count}";
            foreach (DictionaryEntry entry in expectedMap)
            {
                if (!actualMap.Contains(entry.Key)) return $"{path}: key {Show(entry.Key)} is missing";
                if (Difference(entry.Value, actualMap[entry.Key], $"{path}[{Show(entry.Key)}]", depth + 1) is { } d) return d;
            }
            return null;
        }
        if (IsReadOnlyDictionary(type))
        {
            // IReadOnlyDictionary<string, T> that is not an IDictionary: compare as key/value pairs.
            var e = Pairs(expected);
            var a = Pairs(actual);
            if (e.Count != a.Count) return $"{path}: expected {e.Count} entries but got {a.Count}";
            foreach (var (key, value) in e)
            {
                if (!a.TryGetValue(key, out var other)) return $"{path}: key {Show(key)} is missing";
                if (Difference(value, other, $"{path}[{Show(key)}]", depth + 1) is { } d) return d;
            }
            return null;
        }
        if (expected is IEnumerable expectedItems)
        {
            if (actual is not IEnumerable actualItems) return $"{path}: expected a sequence but got {actual.GetType().Name}";
            var e = expectedItems.Cast<object?>().ToList();
            var a = actualItems.Cast<object?>().ToList();
            if (e.Count != a.Count) return $"{path}: expected {e.Count} items but got {a.Count}";
            for (var i = 0; i < e.Count; i++)
            {
                if (Difference(e[i], a[i], $"{path}[{i}]", depth + 1) is { } d) return d;
            }
            return null;
        }

        if (type != actual.GetType()) return $"{path}: expected a {type.Name} but got a {actual.GetType().Name}";
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.Name == "EqualityContract") continue;
            if (Difference(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}", depth + 1) is { } d) return d;
        }
        return null;
    }

    private static bool IsReadOnlyDictionary(Type type) =>
        type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>));

    private static Dictionary<object, object?> Pairs(object map)
    {
        var result = new Dictionary<object, object?>();
        foreach (var pair in (IEnumerable)map)
        {
            var pairType = pair!.GetType();
            result[pairType.GetProperty("Key")!.GetValue(pair)!] = pairType.GetProperty("Value")!.GetValue(pair);
        }
        return result;
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => "\"" + string.Concat(s.Select(c => char.IsControl(c) || c > 0x7e ? $"\\u{(int)c:x4}" : c.ToString())) + "\"",
        char c => $"'\\u{(int)c:x4}'",
        _ => value.ToString() ?? value.GetType().Name,
    };
}
