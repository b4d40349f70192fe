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
