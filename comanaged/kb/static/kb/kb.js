/* Knowledge-base pages (R34): small behaviours that need no framework. Loaded as a file (the CSP
   allows no inline script); every handler is delegated from the document, so fragments htmx
   swaps in (the attachment panel) work without re-binding. */
(function () {
  "use strict";

  var editor = function () { return document.getElementById("id_body"); };

  function markEditing() {
    if (editor()) document.body.classList.add("cm-kb-editing");
  }

  /* Forms that do something hard to undo ask first: <form data-kb-confirm="Archive…?">. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement ? form.getAttribute("data-kb-confirm") : null;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  /* Insert text at the cursor of the Markdown editor and refresh the preview. */
  function insertIntoEditor(text) {
    var area = editor();
    if (!area) return false;
    var start = area.selectionStart || 0;
    var end = area.selectionEnd || 0;
    var before = area.value.slice(0, start);
    // A paragraph of its own: otherwise an image after a list item becomes part of that item.
    var gap = !before || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var padded = gap + text + "\n";
    area.setRangeText(padded, start, end, "end");
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  function flash(button, label) {
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = label;
    window.setTimeout(function () { button.textContent = original; }, 1500);
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var copy = target.closest("[data-kb-copy]");
    if (copy) {
      var text = copy.getAttribute("data-kb-copy") || "";
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { flash(copy, "Copied"); },
          function () { window.prompt("Copy this Markdown:", text); }
        );
      } else {
        window.prompt("Copy this Markdown:", text);
      }
      return;
    }
    var insert = target.closest("[data-kb-insert]");
    if (insert && insertIntoEditor(insert.getAttribute("data-kb-insert") || "")) {
      flash(insert, "Inserted");
    }
  });

  /* History: "compare from" must be older than "compare to" (like a wiki's history page). */
  function syncCompare(form) {
    var checkedA = form.querySelector("input[name=a]:checked");
    var checkedB = form.querySelector("input[name=b]:checked");
    var a = checkedA ? Number(checkedA.value) : 0;
    var b = checkedB ? Number(checkedB.value) : Infinity;
    var rows = form.querySelectorAll("input[name=a], input[name=b]");
    var newest = 0;
    var oldest = Infinity;
    rows.forEach(function (input) {
      newest = Math.max(newest, Number(input.value));
      oldest = Math.min(oldest, Number(input.value));
    });
    rows.forEach(function (input) {
      var n = Number(input.value);
      input.disabled = input.name === "a" ? (n >= b || n === newest) : (n <= a || n === oldest);
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "radio") return;
    var form = input.closest("[data-kb-compare]");
    if (form) syncCompare(form);
  });

  function init() {
    markEditing();
    document.querySelectorAll("[data-kb-compare]").forEach(syncCompare);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
