namespace Workflows.Dashboard.Assets;

/// <summary>
/// The dashboard's only script: it leaves empty filters out of the runs list's URL, and while a run is not final fetch its live fragment every interval and swap it in (no
/// page reload), show the action forms its new status allows, and stop once it is final.
/// </summary>
internal static class DashboardScript
{
    public const string Text = """
        "use strict";
        (function () {
          // The runs filters: leave empty fields out of the query string.
          for (const form of document.querySelectorAll("form.filters")) {
            form.addEventListener("formdata", e => {
              for (const [name, value] of Array.from(e.formData.entries())) {
                if (value === "") e.formData.delete(name);
              }
            });
          }

          const live = document.getElementById("run-live");
          if (!live) return;
          const actions = document.getElementById("run-actions");
          const interval = Math.max(100, parseInt(live.dataset.interval || "1000", 10));
          let lastFetched = null;

          function showActions(status) {
            if (!actions) return;
            actions.dataset.status = status;
            for (const form of actions.querySelectorAll("form[data-when]")) {
              form.hidden = !form.dataset.when.split(" ").includes(status);
            }
          }

          async function refresh() {
            if (live.dataset.final === "true") return;
            try {
              const response = await fetch(live.dataset.liveUrl, { cache: "no-store", credentials: "same-origin" });
              if (response.ok) {
                const html = await response.text();
                const status = response.headers.get("X-Run-Status") || live.dataset.status;
                if (html !== lastFetched) {
                  // Keep what the reader unfolded (the input, a stack trace) unfolded across swaps.
                  const unfolded = new Set(Array.from(live.querySelectorAll("details[data-fold][open]"), d => d.dataset.fold));
                  live.innerHTML = html;
                  lastFetched = html;
                  for (const d of live.querySelectorAll("details[data-fold]")) {
                    if (unfolded.has(d.dataset.fold)) d.open = true;
                  }
                  live.dispatchEvent(new CustomEvent("workflows:refreshed", { bubbles: true }));
                }
                live.dataset.status = status;
                live.dataset.final = response.headers.get("X-Run-Final") === "true" ? "true" : "false";
                showActions(status);
              }
            } catch (e) {
              // The server may be restarting: try again at the next tick.
            }
            if (live.dataset.final !== "true") setTimeout(refresh, interval);
          }

          if (live.dataset.final !== "true") setTimeout(refresh, interval);
        })();
        """;
}
