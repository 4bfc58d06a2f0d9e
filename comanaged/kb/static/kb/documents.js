/* Environment documents: revealed secrets (copy, count down, hide again) — no inline script,
   no eval (CSP). A revealed value arrives as an htmx fragment (kb/credential_secret.html) with
   data-hide-after seconds and a <template data-kb-restore> holding the Reveal button again. */
(function () {
  "use strict";

  function restore(secret) {
    var holder = secret.closest(".kb-reveal");
    if (!holder) { secret.remove(); return; }
    var template = holder.querySelector("template[data-kb-restore]");
    holder.replaceChildren(template ? template.content.cloneNode(true) : document.createTextNode(""));
    if (window.htmx) { window.htmx.process(holder); }
  }

  function start(secret) {
    if (secret.dataset.kbStarted) { return; }
    secret.dataset.kbStarted = "1";
    var left = parseInt(secret.dataset.hideAfter || "30", 10);
    var validFor = parseInt(secret.dataset.validFor || "0", 10);
    var hides = secret.querySelector("[data-kb-hides]");
    var seconds = secret.querySelector("[data-kb-seconds]");
    var timer = window.setInterval(function () {
      left -= 1;
      if (validFor > 0) {
        validFor -= 1;
        if (seconds) { seconds.textContent = String(Math.max(validFor, 0)); }
        if (validFor <= 0) { left = 0; } // the one-time code expired: hide it, reveal anew
      }
      if (hides) { hides.textContent = String(Math.max(left, 0)); }
      if (left <= 0) {
        window.clearInterval(timer);
        restore(secret);
      }
    }, 1000);
  }

  function scan(root) {
    (root || document).querySelectorAll("[data-kb-secret]").forEach(start);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kb-copy]");
    if (!button) { return; }
    var secret = button.closest("[data-kb-secret]");
    var value = secret && secret.querySelector("[data-kb-value]");
    if (!value || !navigator.clipboard) { return; }
    navigator.clipboard.writeText(value.textContent).then(function () {
      button.classList.add("kb-copied");
      button.lastChild.textContent = " Copied";
    }, function () {
      button.lastChild.textContent = " Copy failed";
    });
  });

  // A refused reveal (no access → 404) is not swapped by htmx: say it where the button was.
  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail.target;
    if (!target || !target.classList || !target.classList.contains("kb-reveal")) { return; }
    var note = document.createElement("span");
    note.className = "text-danger small";
    note.setAttribute("role", "alert");
    note.textContent = event.detail.xhr.status === 404 ? "Not found, or no access." : "Could not reveal it; try again.";
    target.replaceChildren(note);
  });

  document.addEventListener("htmx:afterSwap", function (event) { scan(event.detail.target); });
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
})();
