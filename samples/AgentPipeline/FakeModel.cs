using System.Security.Cryptography;
using System.Text;

namespace AgentPipeline;

/// <summary>A model's answer: its text, the tokens it read and wrote, and what it cost.</summary>
public sealed record ModelReply(string Text, int InputTokens, int OutputTokens, decimal CostUsd);

public interface IModelClient
{
    Task<ModelReply> CompleteAsync(string agent, string prompt, CancellationToken cancellationToken = default);
}

/// <summary>
/// A local stand-in for a language model: no network, and its reply, token counts and cost depend only on the prompt, so a
/// run that crashed and resumed ends with exactly the result of a run that did not. Priced like a small hosted model:
/// $3 per million input tokens, $15 per million output tokens.
/// </summary>
public sealed class FakeModelClient : IModelClient
{
    private const decimal InputPrice = 3m / 1_000_000m;
    private const decimal OutputPrice = 15m / 1_000_000m;

    private static readonly string[] Openings = ["On balance", "Taken together", "Read plainly", "In short"];
    private static readonly string[] Moods = ["constructive", "cautious", "neutral", "firm", "mixed"];

    public async Task<ModelReply> CompleteAsync(string agent, string prompt, CancellationToken cancellationToken = default)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(agent + "\n" + prompt));
        await Task.Delay(40 + hash[0] % 60, cancellationToken); // "thinking"; long enough for a wave's agents to overlap
        var text = $"{Openings[hash[1] % Openings.Length]}, the {agent} view is {Moods[hash[2] % Moods.Length]} " +
                   $"(confidence {50 + hash[3] % 45}%).";
        var inputTokens = Tokens(prompt);
        var outputTokens = Tokens(text) + hash[4] % 40;
        return new ModelReply(text, inputTokens, outputTokens, inputTokens * InputPrice + outputTokens * OutputPrice);
    }

    // About four characters a token, like the usual tokenizers on English text.
    private static int Tokens(string text) => Math.Max(1, (text.Length + 3) / 4);
}

/// <summary>A made-up market data feed: prices depend only on the ticker and period.</summary>
public sealed class FakeMarketData
{
    public async Task<MarketData> CollectAsync(string ticker, string period, CancellationToken cancellationToken = default)
    {
        await Task.Delay(20, cancellationToken);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(ticker + "|" + period));
        var closes = new List<decimal>();
        var price = 100m + hash[0];
        for (var i = 0; i < 10; i++)
        {
            price += (hash[i + 1] % 21 - 10) / 4m;
            closes.Add(price);
        }
        var mean = closes.Average();
        var volatility = Math.Round(closes.Average(c => Math.Abs(c - mean)) / mean * 100m, 2);
        return new MarketData(ticker, period, closes, volatility);
    }
}
