// IETS portal — progress bars for long work (templates/components/progress.html).
// Each `.progress[data-progress-url]` polls its JSON status URL and updates its <progress>,
// its status text and, when done, shows the result link. Contract (docs/architecture.md):
//   {"state": "pending"|"running"|"done"|"failed", "done": 3, "total": 10,
//    "message": "3 of 10 rows", "url": "/exports/7/download/"}
// Self-hosted, no dependencies, no inline script (CSP). Without JavaScript the component's
// "Refresh" link reloads the page instead.

const DEFAULT_INTERVAL = 1000;
const MAX_INTERVAL = 10000;

function update(root, status) {
  const bar = root.querySelector("progress");
  const text = root.querySelector(".progress-text");
  const total = Number(status.total) || 0;
  const done = Number(status.done) || 0;
  if (status.state === "done") {
    bar.value = 100;
  } else if (total > 0) {
    bar.value = Math.min(100, Math.floor((done * 100) / total));
  } else {
    bar.removeAttribute("value"); // indeterminate
  }
  bar.textContent = bar.hasAttribute("value") ? `${bar.value}%` : "";
  if (status.message) {
    text.textContent = status.message;
  }
  root.dataset.state = status.state || "";
  root.classList.toggle("failed", status.state === "failed");
  if (status.state === "failed") {
    text.setAttribute("role", "alert");
  }
  if (status.state === "done" && status.url) {
    const result = root.querySelector(".progress-result");
    result.querySelector("a").href = status.url;
    result.hidden = false;
  }
}

function watch(root) {
  const url = root.dataset.progressUrl;
  let interval = Number(root.dataset.progressInterval) || DEFAULT_INTERVAL;
  const refresh = root.querySelector(".progress-refresh");
  if (refresh) {
    refresh.hidden = true; // the script keeps the bar current
  }
  async function poll() {
    let status;
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      status = await response.json();
    } catch {
      interval = Math.min(interval * 2, MAX_INTERVAL); // back off, keep trying
      window.setTimeout(poll, interval);
      return;
    }
    update(root, status);
    if (status.state !== "done" && status.state !== "failed") {
      window.setTimeout(poll, interval);
    }
  }
  poll();
}

for (const root of document.querySelectorAll(".progress[data-progress-url]")) {
  if (!root.dataset.progressWatched) {
    root.dataset.progressWatched = "1";
    watch(root);
  }
}
