// lawbot admin console: the only script (the Content-Security-Policy allows no inline script).
// Progressive enhancement only: every page works without it.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    // The login confirmation form submits itself (chat apps' link previews fetch the link
    // but do not run scripts, so they cannot use the one-time token up).
    var auto = document.querySelector("form[data-autosubmit]");
    if (auto) { auto.submit(); }

    // <form data-confirm="问题？">: ask before submitting (delete, cancel, close ...).
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });

    // <select data-autosubmit-change>: submit its form when the choice changes.
    document.querySelectorAll("[data-autosubmit-change]").forEach(function (el) {
      el.addEventListener("change", function () { if (el.form) { el.form.submit(); } });
    });

    // Buttons of a form become disabled once it is submitted (no double POST).
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (event.defaultPrevented) { return; }
        setTimeout(function () {
          form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        }, 0);
      });
    });
  });
}());
