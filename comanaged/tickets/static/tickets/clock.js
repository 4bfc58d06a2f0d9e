/* Live response-clock countdowns (R16, R17). Each [data-clock-due] element holds the ISO due
   instant (and, in data-clock-warn, the warning instant); once a second its text becomes
   "1 h 12 m 05 s left" or "12 m 05 s overdue" — the same words as countdown() in
   tickets/clock/display.py, which wrote the first text — and its nearest [data-clock-tone]
   ancestor (or itself) gets the tone (running, warning or overdue), named in that ancestor's
   [data-clock-label] if it has one. A clock that already breached (data-clock-breached) stays
   overdue even if a re-target moved its deadline later. A plain file: the Content-Security-Policy
   forbids inline scripts; without it the page shows the time it was rendered at. */
(function () {
  "use strict";

  var LABELS = { running: "Running", warning: "Due soon", overdue: "Overdue" };  // ClockView.label

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function words(seconds) {
    var total = Math.floor(Math.abs(seconds));
    var suffix = seconds >= 0 ? "left" : "overdue";
    if (total >= 86400) {
      var days = Math.floor(total / 86400), hoursOfDay = Math.floor((total % 86400) / 3600);
      return days + " d" + (hoursOfDay ? " " + hoursOfDay + " h" : "") + " " + suffix;
    }
    var hours = Math.floor(total / 3600), minutes = Math.floor((total % 3600) / 60), secs = total % 60;
    if (hours) return hours + " h " + pad(minutes) + " m " + pad(secs) + " s " + suffix;
    if (minutes) return minutes + " m " + pad(secs) + " s " + suffix;
    return secs + " s " + suffix;
  }

  function tick(clocks) {
    var now = Date.now();
    clocks.forEach(function (clock) {
      var left = (clock.due - now) / 1000;  // words() drops the fraction, as the server did
      var tone = left < 0 || clock.breached ? "overdue" : (clock.warn !== null && clock.warn <= now ? "warning" : "running");
      var text = words(left);
      if (clock.element.textContent !== text) clock.element.textContent = text;
      if (clock.holder.getAttribute("data-clock-tone") !== tone) {
        clock.holder.setAttribute("data-clock-tone", tone);
        if (clock.label) clock.label.textContent = LABELS[tone];
      }
    });
  }

  function setUp() {
    var clocks = [];
    document.querySelectorAll("[data-clock-due]").forEach(function (element) {
      var due = Date.parse(element.getAttribute("data-clock-due"));
      if (isNaN(due)) return;
      var warn = Date.parse(element.getAttribute("data-clock-warn") || "");
      var holder = element.closest("[data-clock-tone]") || element;
      clocks.push({
        element: element,
        holder: holder,
        label: holder.querySelector("[data-clock-label]"),
        due: due,
        warn: isNaN(warn) ? null : warn,
        breached: element.hasAttribute("data-clock-breached"),
      });
    });
    if (!clocks.length) return;
    tick(clocks);
    window.setInterval(function () { tick(clocks); }, 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
