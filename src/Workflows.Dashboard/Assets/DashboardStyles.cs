namespace Workflows.Dashboard.Assets;

/// <summary>
/// The dashboard's stylesheet. Colour only repeats what glyph and word already say; a wave's entries sit side by side;
/// a child run's entries are indented under the row that started it.
/// </summary>
internal static class DashboardStyles
{
    public const string Text = """
        :root { --fg: #1d2430; --muted: #5b6575; --line: #d8dde5; --bg: #f6f7f9; --card: #fff;
                --ok: #1a7f37; --bad: #c62828; --run: #0b61c4; --wait: #8a5a00; --skip: #6b7280; }
        * { box-sizing: border-box; }
        [hidden] { display: none !important; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
        a { color: var(--run); }
        .topbar { display: flex; gap: 1rem; align-items: baseline; padding: .6rem 1.2rem; background: #1d2430; color: #e8ebf0; }
        .topbar .brand { color: #fff; font-weight: 600; text-decoration: none; font-size: 1.05rem; }
        .topbar .tenants, .topbar .mode { color: #b8c0cc; font-size: .9rem; }
        .topbar .mode { margin-left: auto; border: 1px solid #5b6575; border-radius: 3px; padding: 0 .4rem; }
        main { max-width: 1200px; margin: 0 auto; padding: 1rem 1.2rem 3rem; }
        h1 { font-size: 1.35rem; margin: .4rem 0 1rem; }
        h1 .run-id { font: 500 .95rem ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: var(--muted); }
        h2 { font-size: 1.05rem; margin: 1.4rem 0 .6rem; }
        .crumbs { margin-bottom: .2rem; }
        .notice { background: #e7f3ff; border: 1px solid #b6d7fb; padding: .5rem .8rem; border-radius: 4px; }
        .message { background: var(--card); border: 1px solid var(--line); padding: 1rem 1.2rem; border-radius: 6px; }
        .filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: end; margin-bottom: 1rem; }
        .filters label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
        input, select, textarea, button { font: inherit; padding: .3rem .45rem; border: 1px solid #b9c1cc; border-radius: 4px; background: #fff; }
        button { cursor: pointer; background: #eef1f5; }
        button:hover { background: #e2e7ee; }
        table.runs { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); }
        table.runs th, table.runs td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); }
        table.runs th { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
        table.runs td.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
        .pager { display: flex; gap: 1.2rem; margin-top: .8rem; }
        .empty { color: var(--muted); }
        .badge { white-space: nowrap; font-weight: 600; }
        .glyph { display: inline-block; min-width: 1.1em; text-align: center; }
        .status-succeeded, .state-succeeded > .entry-head .badge { color: var(--ok); }
        .status-failed, .status-parked, .state-failed > .entry-head .badge { color: var(--bad); }
        .status-running, .status-pending, .state-running > .entry-head .badge, .state-pending > .entry-head .badge { color: var(--run); }
        .status-waiting, .state-waiting > .entry-head .badge { color: var(--wait); }
        .status-cancelled, .state-skipped > .entry-head .badge, .state-cancelled > .entry-head .badge { color: var(--skip); }
        .summary { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: .3rem 1rem; background: var(--card);
                   border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin: 0; }
        .summary dt { color: var(--muted); }
        .summary dd { margin: 0; }
        .run-input { margin-top: .8rem; }
        .run-input summary, .run-error summary { cursor: pointer; color: var(--muted); }
        .run-error { border: 1px solid #f1b5b5; background: #fff5f5; border-radius: 6px; padding: .2rem 1rem .8rem; margin-top: 1rem; }
        .run-error h2 { color: var(--bad); }
        ol.timeline { list-style: none; margin: 0; padding: 0 0 0 1.1rem; border-left: 2px solid var(--line); }
        ol.timeline.nested { margin: .6rem 0 .2rem .4rem; }
        li.entry { position: relative; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .5rem .75rem; margin: 0 0 .6rem; }
        ol.timeline > li.entry::before, ol.timeline > li.wave::before { content: ""; position: absolute; left: calc(-1.1rem - 1px - .3rem - 2px); top: .75rem;
                   width: .6rem; height: .6rem; border-radius: 50%; background: #9aa3af; border: 2px solid var(--bg); }
        ol.timeline > li.wave::before { top: .2rem; }
        ol.timeline > li.state-succeeded::before { background: var(--ok); }
        ol.timeline > li.state-failed::before { background: var(--bad); }
        ol.timeline > li.state-running::before, ol.timeline > li.state-pending::before { background: var(--run); }
        ol.timeline > li.state-waiting::before { background: var(--wait); }
        li.wave { position: relative; margin: 0 0 .6rem; }
        .wave-label { font-size: .8rem; color: var(--muted); margin-bottom: .3rem; }
        ol.wave-entries { list-style: none; margin: 0; padding: 0; display: flex; gap: .6rem; align-items: flex-start; }
        ol.wave-entries > li.entry { flex: 1 1 0; min-width: 0; margin: 0; }
        .entry-head { display: flex; flex-wrap: wrap; gap: .25rem .7rem; align-items: baseline; }
        .entry-head .seq { color: var(--muted); font-size: .85rem; }
        .entry-head .name { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-weight: 600; }
        .entry-head .kind { font-size: .75rem; border: 1px solid var(--line); border-radius: 3px; padding: 0 .35rem; color: var(--muted); }
        .entry-head .duration { margin-left: auto; color: var(--muted); font-variant-numeric: tabular-nums; }
        .entry-head .attempt, .entry-head .origin { font-size: .8rem; color: var(--muted); }
        .entry-head .usage { flex-basis: 100%; font-size: .85rem; color: var(--muted); }
        .detail { margin-top: .25rem; color: var(--muted); overflow-wrap: anywhere; }
        pre.json, pre.stack { margin: .4rem 0 0; padding: .5rem .6rem; background: #f3f5f8; border-radius: 4px; overflow: auto; max-height: 22rem;
                   font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
        pre.json.error { background: #fff0f0; color: #8e1b1b; }
        .actions { margin-top: 2rem; display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: .8rem; align-items: start; }
        form.action h3 { margin: 0; font-size: .95rem; }
        .actions h2 { grid-column: 1 / -1; margin-bottom: 0; }
        form.action { display: flex; flex-direction: column; gap: .45rem; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .8rem; }
        form.action label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
        form.action .hint { margin: 0; font-size: .8rem; color: var(--muted); }
        form.action button { align-self: flex-start; }
        @media (max-width: 720px) { ol.wave-entries { flex-direction: column; } .summary { grid-template-columns: max-content 1fr; } }
        """;
}
