namespace AgentPipeline;

/// <summary>What the pipeline is asked to analyse.</summary>
/// <param name="SkipRisk">Skip the risk agent whatever the volatility.</param>
/// <param name="ApprovalTimeoutSeconds">How long the run waits for a person's approval before it goes on as not approved.</param>
public sealed record AnalysisRequest(string Ticker, string Period, bool SkipRisk, int ApprovalTimeoutSeconds);

/// <summary>The collected (here: made up) market data.</summary>
public sealed record MarketData(string Ticker, string Period, IReadOnlyList<decimal> Closes, decimal Volatility);

/// <summary>What one agent concluded.</summary>
public sealed record AgentFinding(string Agent, string Signal, string Summary);

/// <summary>A child run's input: one section of the report.</summary>
public sealed record SectionRequest(string Ticker, string Section, string Brief);

/// <summary>A child run's output: the section's text.</summary>
public sealed record SectionDraft(string Section, string Text);

/// <summary>The run's result.</summary>
public sealed record AnalysisReport(string Ticker, string Indicator, string Trend, string Risk, bool Approved, IReadOnlyList<SectionDraft> Sections, string Headline);
