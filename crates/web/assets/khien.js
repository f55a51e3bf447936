// Progressive enhancement only: every core flow works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Error pages offer "back" as a plain link; make it go back in history (CSP forbids
  // inline javascript: URLs).
  document.querySelectorAll("a[data-back]").forEach(function (a) {
    a.setAttribute("href", "#");
    a.addEventListener("click", function (e) { e.preventDefault(); history.back(); });
  });
  // On a phone the menu folds behind a button (without this script it wraps instead).
  var toggle = document.getElementById("menu-toggle");
  var menu = document.getElementById("main-menu");
  if (toggle && menu) {
    toggle.hidden = false;
    document.body.classList.add("menu-folds");
    toggle.addEventListener("click", function () {
      var open = menu.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // Auto-submit list filters when a select changes.
  document.querySelectorAll("form.filters select").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
});
