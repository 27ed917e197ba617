// The pages' one script, served from this origin (the Content-Security-Policy allows no inline
// script or handler).
// Live completion percentages and totals on the 自评 tab, and the expert's running total, as the
// server computes them:
// figures in hundredths, percent = completed × 100 / target rounded half-up to two places.
// Integers only (BigInt): what is shown equals what will be stored.
(function () {
  "use strict";
  function hundredths(text) {
    var t = (text || "").trim();
    if (!/^\d+(\.\d{1,2})?$/.test(t)) { return null; }
    var parts = t.split(".");
    var fraction = ((parts[1] || "") + "00").slice(0, 2);
    return BigInt(parts[0]) * 100n + BigInt(fraction);
  }
  // As the annexes print a figure (report::build::figure): no trailing zeros, 742 and 783.5.
  function figure(value) {
    if (value === null) { return ""; }
    var whole = value / 100n, rest = value % 100n;
    if (rest === 0n) { return whole.toString(); }
    var fraction = (rest < 10n ? "0" : "") + rest.toString();
    return whole.toString() + "." + fraction.replace(/0$/, "");
  }
  // A percentage always with its two places, as Points shows it.
  function show(value) {
    var whole = value / 100n, rest = value % 100n;
    return whole.toString() + "." + (rest < 10n ? "0" : "") + rest.toString();
  }
  function percent(completed, target) {
    if (completed === null || target === null || target === 0n) { return "—"; }
    return show((completed * 10000n * 2n + target) / (target * 2n)) + "%";
  }
  function refresh() {
    var sums = {};
    document.querySelectorAll("input.completed").forEach(function (input) {
      var row = input.closest("tr");
      var target = hundredths(row.querySelector("[data-target]").dataset.target);
      var completed = hundredths(input.value);
      row.querySelector(".percent").textContent = percent(completed, target);
      var code = input.dataset.indicator;
      var sum = sums[code] || { target: null, completed: null };
      if (target !== null) { sum.target = (sum.target || 0n) + target; }
      if (completed !== null) { sum.completed = (sum.completed || 0n) + completed; }
      sums[code] = sum;
    });
    document.querySelectorAll("#indicator-totals tr[data-indicator]").forEach(function (row) {
      var sum = sums[row.dataset.indicator];
      if (!sum) { return; }
      row.querySelector(".total-completed").textContent = figure(sum.completed);
      row.querySelector(".total-percent").textContent = percent(sum.completed, sum.target);
    });
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input.completed")) { refresh(); }
  });
  // The expert's sheet: the running total of the scores typed, in hundredths.
  document.addEventListener("input", function (event) {
    if (!(event.target.matches && event.target.matches("input.item-score"))) { return; }
    var total = 0n;
    document.querySelectorAll("input.item-score").forEach(function (input) {
      total += hundredths(input.value) || 0n;
    });
    document.getElementById("sheet-total").textContent = show(total);
  });
})();

// A refused form: bring its message into view and to the screen reader.
document.addEventListener("DOMContentLoaded", function () {
  var refused = document.querySelector(".error-summary, form [role='alert'], section [role='alert']");
  if (refused) {
    refused.setAttribute("tabindex", "-1");
    refused.scrollIntoView({ block: "center" });
    refused.focus({ preventScroll: true });
  }
});

// A page shown in answer to a form (a refusal, as typed) sits on the form's POST address: put
// the page's own address in the bar, so that reloading or sharing it shows the page, not a resend.
document.addEventListener("DOMContentLoaded", function () {
  var own = document.querySelector("[data-address]");
  var address = own && own.dataset.address;
  if (address && address.charAt(0) === "/" && address.charAt(1) !== "/" &&
      window.location.pathname !== address.split("?")[0]) {
    window.history.replaceState(null, "", address);
  }
});

// The error summary's links take the keyboard to the field, not only the view.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest(".error-summary a[data-field]");
  if (!link) { return; }
  var scope = link.closest("form") || link.closest("section") || document;
  var name = link.dataset.field;
  var field = document.getElementById(name) ||
    scope.querySelector("[name='" + (window.CSS ? CSS.escape(name) : name) + "']");
  if (field) {
    event.preventDefault();
    field.scrollIntoView({ block: "center" });
    field.focus();
  }
});

// A form that went through: its one-line confirmation moves beside the form the address points
// at (#form-id), where the user is looking; without the script it stays at the top of the page.
document.addEventListener("DOMContentLoaded", function () {
  var said = document.getElementById("confirmation");
  var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (!said) { return; }
  if (target && target !== said) {
    target.insertBefore(said, target.firstChild);
  }
  said.scrollIntoView({ block: "center" });
});

// A form, or one of its buttons, that asks first: its question is data (data-confirm), never
// spliced into script, so a name typed by a user cannot become code.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var form = event.target;
  var question = (button && button.dataset && button.dataset.confirm) ||
    (form.dataset && form.dataset.confirm);
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
