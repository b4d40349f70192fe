// The segment builder. Without this file its buttons do everything (the page comes back
// with the right fields and the count); with it, choosing a condition brings its fields at
// once, and the count follows every change without leaving the page.
(() => {
  const form = document.getElementById("segment-form");
  if (!form) return;
  const output = form.querySelector("[data-segment-count]");
  const refresh = form.querySelector("[data-refresh-button]");
  let timer = null;
  let asked = 0;
  const back = window.sessionStorage.getItem("segment-focus");
  if (back) {
    window.sessionStorage.removeItem("segment-focus");
    document.getElementById(back)?.focus();
  }

  const count = async () => {
    const ticket = ++asked;
    const params = new URLSearchParams(new FormData(form));
    params.delete("csrf_token");
    params.delete("action");
    try {
      const response = await fetch(`${form.dataset.countUrl}?${params}`, { headers: { Accept: "application/json" } });
      if (!response.ok || ticket !== asked) return;
      const state = await response.json();
      output.classList.toggle("alert-warning", Boolean(state.problem));
      output.classList.toggle("alert-info", !state.problem);
      if (state.problem) output.textContent = state.problem;
      else if (state.count === null) output.textContent = "Add a condition to see who matches.";
      else output.innerHTML = `<strong>${state.count}</strong> contact${state.count === 1 ? "" : "s"} match now.`;
    } catch (error) {
      // the count comes back with the next change, or with the Update button
    }
  };

  form.addEventListener("change", (event) => {
    if (event.target.matches("[data-refresh]")) {
      // a new kind of condition needs other fields: the server draws them, and focus comes
      // back to the same select once the page is back
      window.sessionStorage.setItem("segment-focus", event.target.id);
      form.requestSubmit(refresh);
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(count, 250);
  });
  form.addEventListener("input", (event) => {
    if (event.target.matches("input[type=text], input:not([type])")) {
      window.clearTimeout(timer);
      timer = window.setTimeout(count, 400);
    }
  });
})();
