// Progressive enhancement only: every core flow works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Error pages offer "back" as a plain link; make it go back in history (CSP forbids
  // inline javascript: URLs).
  document.querySelectorAll("a[data-back]").forEach(function (a) {
    a.setAttribute("href", "#");
    a.addEventListener("click", function (e) { e.preventDefault(); history.back(); });
  });
  // Auto-submit list filters when a select changes.
  document.querySelectorAll("form.filters select").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
});
