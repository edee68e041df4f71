using System.Globalization;

namespace Workflows.Benchmarks;

/// <summary>
/// The suite's measurements: each <see cref="Add"/> prints <c>name: value unit</c> at once and keeps the value, so that
/// after several rounds <see cref="PrintSummary"/> prints each metric's median and range (min..max), in first-seen order.
/// </summary>
internal sealed class Metrics
{
    private readonly List<string> _order = [];
    private readonly Dictionary<string, Metric> _metrics = new(StringComparer.Ordinal);

    private sealed record Metric(string Unit, string Format, string Note, List<double> Values);

    /// <summary>Records one value of <paramref name="name"/> and prints it (<paramref name="note"/> after it, if any).</summary>
    public void Add(string name, double value, string unit, string format = "N0", string note = "")
    {
        if (!_metrics.TryGetValue(name, out var metric))
        {
            metric = new Metric(unit, format, note, []);
            _metrics[name] = metric;
            _order.Add(name);
        }
        metric.Values.Add(value);
        Console.WriteLine($"{name}: {Format(value, format)}{Suffix(unit)}{(note.Length > 0 ? "   (" + note + ")" : "")}");
    }

    /// <summary>The median of a metric's values so far; NaN if it has none.</summary>
    public bool Has(string name) => _metrics.ContainsKey(name);

    public double Median(string name) => _metrics.TryGetValue(name, out var metric) ? MedianOf(metric.Values) : double.NaN;

    public void PrintSummary(int rounds)
    {
        Console.WriteLine($"summary over {rounds} round{(rounds == 1 ? "" : "s")}: median (min..max)");
        foreach (var name in _order)
        {
            var metric = _metrics[name];
            var values = metric.Values;
            var range = values.Count > 1 ? $"   ({Format(values.Min(), metric.Format)}..{Format(values.Max(), metric.Format)}, {values.Count} runs)" : "";
            Console.WriteLine($"{name}: {Format(MedianOf(values), metric.Format)}{Suffix(metric.Unit)}{range}");
        }
    }

    public static string Format(double value, string format) =>
        double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

    private static string Suffix(string unit) => unit.Length == 0 ? "" : " " + unit;

    private static double MedianOf(List<double> values)
    {
        var real = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (real.Length == 0) return double.NaN;
        return real.Length % 2 == 1 ? real[real.Length / 2] : (real[real.Length / 2 - 1] + real[real.Length / 2]) / 2;
    }
}
