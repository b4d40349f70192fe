// Progressive enhancements for the giving pages; both work without this file.
(() => {
  const form = document.getElementById("give-form");
  if (form) enhanceGiveForm(form);
  // A problem with no field to point at (Stripe unreachable, an altered form): start there.
  const problem = document.getElementById("form-problem");
  if (problem && !document.getElementById("error-summary")) {
    document.addEventListener("DOMContentLoaded", () => problem.focus());
  }
  const thanks = document.getElementById("give-thanks");
  if (thanks && thanks.dataset.state === "confirming") watchConfirmation(thanks);

  function enhanceGiveForm(form) {
    const currency = form.dataset.currency;
    const rate = Number(form.dataset.feeBasisPoints) / 10000;
    const fixed = Number(form.dataset.feeFixed);
    const money = new Intl.NumberFormat("en-US", { style: "currency", currency });
    const digits = money.resolvedOptions().maximumFractionDigits;
    const other = form.querySelector("#other_amount");
    const otherRadio = form.querySelector('input[name="amount"][value="other"]');
    const summary = document.getElementById("give-summary");
    const tribute = document.getElementById("give-tribute");

    // The same arithmetic as services.fee_to_cover, in minor units.
    const feeFor = (cents) => Math.ceil((cents + fixed) / (1 - rate)) - cents;

    function chosenCents() {
      const checked = form.querySelector('input[name="amount"]:checked');
      if (checked && checked.value !== "other") return Number(checked.value);
      const typed = (other.value || "").replace(/[$,\s]/g, "");
      if (!/^[0-9]+(\.[0-9]*)?$/.test(typed)) return null;
      const [whole, fraction = ""] = typed.split(".");
      if (fraction.length > digits) return null;
      return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || 0);
    }

    function update() {
      const cents = chosenCents();
      const monthly = form.querySelector('input[name="frequency"]:checked')?.value === "monthly";
      if (!cents) {
        summary.hidden = true;
        return;
      }
      const fee = form.querySelector("#cover_fee").checked ? feeFor(cents) : 0;
      const unit = 10 ** digits;
      const total = money.format((cents + fee) / unit);
      const often = monthly ? " every month" : "";
      summary.textContent = fee
        ? `You give ${money.format(cents / unit)} + ${money.format(fee / unit)} for the fee = ${total}${often}.`
        : `You give ${total}${often}.`;
      summary.hidden = false;
    }

    function showTribute() {
      const checked = form.querySelector('input[name="tribute_type"]:checked');
      const hasErrors = tribute.querySelector(".is-invalid");
      tribute.hidden = !(checked && checked.value) && !hasErrors;
    }

    // Typing an amount chooses "Other". Choosing a preset keeps what was typed (arrowing
    // through the amounts must not lose it); it is left out when the form is sent.
    other.addEventListener("input", () => {
      if (other.value.trim()) otherRadio.checked = true;
    });
    // A click on "Other" goes on into the box; the arrow keys stay in the group of amounts
    // (a keyboard user reaches the box with Tab).
    form.querySelector(`label[for="${otherRadio.id}"]`)?.addEventListener("click", (event) => {
      if (event.detail > 0) setTimeout(() => other.focus());
    });
    form.addEventListener("submit", () => {
      if (!otherRadio.checked) other.value = "";
    });
    form.querySelectorAll('input[name="tribute_type"]').forEach((radio) =>
      radio.addEventListener("change", showTribute),
    );
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    showTribute();
    update();
  }

  // Ask the server every few seconds whether Stripe's webhook has confirmed the gift, and
  // reload when it has (the page also carries a Refresh header for browsers without script).
  function watchConfirmation(element) {
    let tries = 0;
    const timer = setInterval(async () => {
      tries += 1;
      if (tries > 200) return clearInterval(timer);
      try {
        const response = await fetch(element.dataset.statusUrl, { cache: "no-store" });
        if (!response.ok) return;
        const status = await response.json();
        if (status.state !== "confirming") {
          clearInterval(timer);
          window.location.reload();
        }
      } catch {
        // offline for a moment: try again on the next tick
      }
    }, 2000);
  }
})();
