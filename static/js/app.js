// Progressive enhancements only: every page works without this file.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// After a form comes back with problems, move focus to the list of problems (or to the
// possible-duplicate warning) so keyboard and screen-reader users start there.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary") || document.getElementById("duplicates");
  if (summary) summary.focus();
});

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
