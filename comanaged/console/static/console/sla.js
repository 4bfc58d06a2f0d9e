/* The SLA page's filters: typing a date chooses "Custom dates", choosing another period clears
   the dates — so what the form sends is what the person sees. A plain file (no inline scripts
   under the CSP); without it, dates count only with "Custom dates" chosen. */
(function () {
  "use strict";

  function setUp() {
    var period = document.querySelector("[data-sla-period]");
    var dates = Array.prototype.slice.call(document.querySelectorAll("[data-sla-date]"));
    if (!period) return;
    dates.forEach(function (input) {
      input.addEventListener("change", function () { if (input.value) period.value = "custom"; });
    });
    period.addEventListener("change", function () {
      if (period.value !== "custom") dates.forEach(function (input) { input.value = ""; });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
