// A "tick all on this page" box for lists with a bulk action (the gifts to thank). It is
// hidden until this file runs: without JavaScript every box is ticked one by one.
document.querySelectorAll("[data-select-all]").forEach((all) => {
  const boxes = () => document.querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`);
  const wrapper = all.closest(".select-all");
  if (wrapper) wrapper.hidden = false;
  all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
  boxes().forEach((box) => box.addEventListener("change", () => {
    const ticked = [...boxes()].filter((b) => b.checked).length;
    all.checked = ticked === boxes().length;
    all.indeterminate = ticked > 0 && ticked < boxes().length;
  }));
});
