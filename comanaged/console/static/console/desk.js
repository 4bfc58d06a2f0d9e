/* The desk queue: tick every row at once, count the ticked rows, and show only the fields the
   chosen bulk action needs. A plain file (the Content-Security-Policy forbids inline scripts);
   without it the page still works — every field is simply shown. */
(function () {
  "use strict";

  function setUp() {
    var form = document.getElementById("desk-bulk");
    if (!form) return;
    var all = form.querySelector("[data-select-all]");
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=tickets]"));
    var counter = form.querySelector("[data-selected-count]");
    var submit = form.querySelector("[data-bulk-submit]");
    var action = form.querySelector("select[name=action]");

    function refresh() {
      var ticked = boxes.filter(function (box) { return box.checked; }).length;
      if (counter) counter.textContent = ticked === 1 ? "1 ticket selected" : ticked + " tickets selected";
      if (submit) submit.disabled = ticked === 0;
      if (all) {
        all.checked = ticked > 0 && ticked === boxes.length;
        all.indeterminate = ticked > 0 && ticked < boxes.length;
      }
      boxes.forEach(function (box) {
        var row = box.closest("tr");
        if (row) row.classList.toggle("table-active", box.checked);
      });
    }

    function showFields() {
      var chosen = action ? action.value : "";
      form.querySelectorAll("[data-for-actions]").forEach(function (field) {
        var wanted = field.getAttribute("data-for-actions").split(" ");
        field.hidden = wanted.indexOf(chosen) === -1;
      });
    }

    if (all) {
      all.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = all.checked; });
        refresh();
      });
    }
    boxes.forEach(function (box) { box.addEventListener("change", refresh); });
    if (action) action.addEventListener("change", showFields);
    refresh();
    showFields();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
