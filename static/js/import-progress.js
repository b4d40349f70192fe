// Polls an import's progress and updates the bar; reloads the page when the job ends.
// Without JavaScript the page refreshes itself (a <noscript> meta refresh).
(() => {
  const box = document.querySelector("[data-progress-url]");
  if (!box) return;
  const bar = box.querySelector("progress");
  const text = box.querySelector("[data-progress-text]");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(response.statusText);
      const state = await response.json();
      if (bar) { bar.value = state.percent; bar.textContent = `${state.percent} %`; }
      if (text) text.textContent = `${state.rows_done} of ${state.rows_total ?? "?"}`;
      if (!state.busy) { window.location.reload(); return; }
    } catch (error) {
      // a network hiccup: try again on the next tick
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 1000);
})();
