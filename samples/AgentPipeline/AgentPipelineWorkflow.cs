using System.Globalization;
using Workflows;

namespace AgentPipeline;

/// <summary>
/// A multi-agent analysis: collect the data; the indicator and trend agents in one parallel wave; the risk agent (which
/// skips itself when there is little to assess); a person's approval, waited for durably with a timeout; one child run per
/// report section; the composed report. Every agent step reports its tokens, cost and prompt/reply to the journal.
/// </summary>
[Workflow("agent-pipeline")]
public partial class AgentPipelineWorkflow(IModelClient model, FakeMarketData market)
{
    /// <summary>Below this volatility (in percent) the risk agent has nothing to say and skips itself.</summary>
    public const decimal RiskVolatilityFloor = 0.5m;

    public static readonly string[] Sections = ["summary", "signals", "outlook"];

    [WorkflowRun]
    public async Task<AnalysisReport> RunAsync(AnalysisRequest request)
    {
        var data = await CollectDataAsync(request.Ticker, request.Period);

        // One wave: both agents are called before either is awaited, so they run together and share a position.
        var wave = await Task.WhenAll(IndicatorAsync(data), TrendAsync(data));
        var indicator = wave[0];
        var trend = wave[1];

        var risk = await RiskAsync(data, request.SkipRisk);

        // A person approves the report; the run is suspended (nothing in memory) until the event or the timeout.
        var approval = await Workflow.TryWaitForEventAsync<bool>("approval", TimeSpan.FromSeconds(request.ApprovalTimeoutSeconds));
        var approved = approval.Arrived && approval.Payload;

        // One child run per section, started together (one wave) and awaited together.
        var findings = $"{indicator.Signal}/{trend.Signal}/{risk.Signal}";
        var drafts = await Task.WhenAll(Sections.Select(section =>
            Workflow.RunChildAsync(ReportSectionWorkflow.Definition, new SectionRequest(request.Ticker, section, findings))));

        return await ComposeReportAsync(request.Ticker, indicator, trend, risk, approved, drafts);
    }

    [Step("collect-data")]
    private Task<MarketData> CollectDataAsync(string ticker, string period) => market.CollectAsync(ticker, period);

    [Step("indicator")]
    private Task<AgentFinding> IndicatorAsync(MarketData data)
    {
        var closes = data.Closes;
        var shortAverage = closes.TakeLast(3).Average();
        var longAverage = closes.Average();
        var signal = shortAverage >= longAverage ? "bullish" : "bearish";
        return AskAsync("indicator", signal,
            $"You are a technical analyst. {data.Ticker} over {data.Period}: 3-day average {F(shortAverage)}, 10-day average {F(longAverage)}. " +
            "Give one sentence on what the moving averages say.");
    }

    [Step("trend")]
    private Task<AgentFinding> TrendAsync(MarketData data)
    {
        var change = data.Closes[^1] - data.Closes[0];
        var signal = change switch { > 0 => "up", < 0 => "down", _ => "flat" };
        return AskAsync("trend", signal,
            $"You are a trend analyst. {data.Ticker} moved from {F(data.Closes[0])} to {F(data.Closes[^1])} over {data.Period}. " +
            "Give one sentence on the trend.");
    }

    [Step("risk")]
    private Task<AgentFinding> RiskAsync(MarketData data, bool skipRequested)
    {
        if (skipRequested || data.Volatility < RiskVolatilityFloor)
        {
            var reason = skipRequested
                ? "risk assessment not requested (--skip-risk)"
                : $"volatility {F(data.Volatility)}% is below {F(RiskVolatilityFloor)}%";
            CurrentStep.Skip(reason);
            return Task.FromResult(new AgentFinding("risk", "n/a", "skipped: " + reason));
        }
        var signal = data.Volatility >= 2m ? "high" : "moderate";
        return AskAsync("risk", signal,
            $"You are a risk analyst. {data.Ticker} has a mean absolute deviation of {F(data.Volatility)}% over {data.Period}. " +
            "Give one sentence on the risk.");
    }

    [Step("compose-report")]
    private Task<AnalysisReport> ComposeReportAsync(string ticker, AgentFinding indicator, AgentFinding trend, AgentFinding risk, bool approved,
        SectionDraft[] drafts)
    {
        var headline = $"{ticker}: indicator {indicator.Signal}, trend {trend.Signal}, risk {risk.Signal}" +
                       (approved ? " (approved)" : " (NOT approved: draft only)");
        return Task.FromResult(new AnalysisReport(ticker, indicator.Summary, trend.Summary, risk.Summary, approved, drafts, headline));
    }

    private async Task<AgentFinding> AskAsync(string agent, string signal, string prompt)
    {
        CurrentStep.Debug("prompt: " + prompt);
        var reply = await model.CompleteAsync(agent, prompt);
        CurrentStep.ReportUsage(reply.InputTokens, reply.OutputTokens, reply.CostUsd);
        CurrentStep.Debug("reply: " + reply.Text);
        return new AgentFinding(agent, signal, reply.Text);
    }

    private static string F(decimal value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}

/// <summary>A child run: one agent writes one section of the report.</summary>
[Workflow("report-section")]
public partial class ReportSectionWorkflow(IModelClient model)
{
    [WorkflowRun]
    public async Task<SectionDraft> RunAsync(SectionRequest request) => await WriteSectionAsync(request);

    [Step("write-section")]
    private async Task<SectionDraft> WriteSectionAsync(SectionRequest request)
    {
        var prompt = $"You are a report writer. Write the '{request.Section}' section of the report on {request.Ticker}; the agents said {request.Brief}.";
        CurrentStep.Debug("prompt: " + prompt);
        var reply = await model.CompleteAsync("writer:" + request.Section, prompt);
        CurrentStep.ReportUsage(reply.InputTokens, reply.OutputTokens, reply.CostUsd);
        CurrentStep.Debug("reply: " + reply.Text);
        return new SectionDraft(request.Section, reply.Text);
    }
}
