// Progressive enhancements only: every page works without this file.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// A page that opens with a problem (a form's list of problems, the possible-duplicate
// warning, or a message such as "Tick at least one line") moves focus there, so keyboard and
// screen-reader users start with it.
document.addEventListener("DOMContentLoaded", () => {
  const problem = document.querySelector("#error-summary, #duplicates, [data-page-error]");
  if (problem) problem.focus();
});

// A field the user changes after a failed submit drops its old error: the red edge, the
// message under it and aria-invalid (the server checks it again on the next submit).
function dropError(event) {
  const control = event.target;
  if (!(control instanceof HTMLElement) || !control.matches("input, select, textarea")) return;
  const holders = [control, control.closest("fieldset[aria-describedby]")].filter(Boolean);
  for (const holder of holders) {
    const ids = (holder.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    const errors = ids.filter((id) => id.endsWith("-error"));
    if (!errors.length && !holder.classList.contains("is-invalid")) continue;
    errors.forEach((id) => document.getElementById(id)?.remove());
    const rest = ids.filter((id) => !errors.includes(id));
    if (rest.length) holder.setAttribute("aria-describedby", rest.join(" "));
    else holder.removeAttribute("aria-describedby");
    holder.classList.remove("is-invalid");
    if (holder.hasAttribute("aria-invalid")) holder.setAttribute("aria-invalid", "false");
  }
}
document.addEventListener("input", dropError);
document.addEventListener("change", dropError);

// The phone menu closes with Escape, and focus goes back to its button. An open dropdown
// inside it closes first (Bootstrap handles that Escape).
window.addEventListener(
  "keydown",
  (event) => {
    if (event.key !== "Escape" || !window.bootstrap) return;
    const menu = document.querySelector(".navbar-collapse.show");
    if (!menu || menu.querySelector(".dropdown-menu.show")) return;
    window.bootstrap.Collapse.getOrCreateInstance(menu, { toggle: false }).hide();
    document.querySelector(`[data-bs-target="#${menu.id}"]`)?.focus();
  },
  true,
);

// A table's scroll box is a tab stop only while part of the table is out of sight, so that
// tables that fit add no stop that does nothing. Watching the table too catches it growing
// inside a box that keeps its size.
if ("ResizeObserver" in window) {
  const observer = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const box = entry.target.closest(".scroll-region");
      if (box.scrollWidth > box.clientWidth) box.setAttribute("tabindex", "0");
      else if (box !== document.activeElement) box.removeAttribute("tabindex");
    }
  });
  document.querySelectorAll(".scroll-region").forEach((box) => {
    observer.observe(box);
    if (box.firstElementChild) observer.observe(box.firstElementChild);
  });
}

// "Tick all": a box that ticks and unticks every box of its name in the same form, and shows
// when only some are ticked. Without script it stays hidden and each line is ticked alone.
document.querySelectorAll("[data-select-all]").forEach((all) => {
  const boxes = () => [...all.form.querySelectorAll(`input[name="${all.dataset.selectAll}"]`)];
  const sync = () => {
    const ticked = boxes().filter((box) => box.checked).length;
    all.checked = ticked > 0 && ticked === boxes().length;
    all.indeterminate = ticked > 0 && ticked < boxes().length;
  };
  all.addEventListener("change", () => {
    boxes().forEach((box) => (box.checked = all.checked));
  });
  all.form.addEventListener("change", (event) => {
    if (event.target !== all) sync();
  });
  all.closest("[hidden]")?.removeAttribute("hidden");
  sync();
});

// A filter form whose results apply as its fields change: the page is fetched again and its
// results and count replace these (the count is announced by its live region); links that
// carry the filter (the export) follow. Without script, or if fetching fails, the form's
// Search button loads the page as before.
document.querySelectorAll("form[data-live-filter]").forEach((form) => {
  const results = () => document.querySelector(form.dataset.liveFilter);
  const status = document.querySelector(form.dataset.liveStatus);
  let pending = null;
  let timer = null;

  async function refresh() {
    const params = new URLSearchParams(new FormData(form));
    [...params.keys()].forEach((key) => params.get(key) || params.delete(key));
    const query = params.toString();
    const url = `${window.location.pathname}${query ? `?${query}` : ""}`;
    pending?.abort();
    pending = new AbortController();
    results().setAttribute("aria-busy", "true");
    try {
      const response = await fetch(url, { signal: pending.signal });
      if (!response.ok) throw new Error(`${response.status}`);
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      results().replaceWith(page.querySelector(form.dataset.liveFilter));
      if (status) status.textContent = page.querySelector(form.dataset.liveStatus)?.textContent;
      document.querySelectorAll("a[data-keeps-query]").forEach((link) => {
        link.href = link.href.split("?")[0] + (query ? `?${query}` : "");
      });
      window.history.replaceState(null, "", url);
    } catch (error) {
      if (error.name !== "AbortError") window.location.assign(url);
    } finally {
      results().removeAttribute("aria-busy");
    }
  }

  form.addEventListener("change", (event) => {
    if (event.target.matches("select")) refresh();
  });
  form.addEventListener("input", (event) => {
    if (!event.target.matches("input")) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    refresh();
  });
});
