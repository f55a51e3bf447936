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
  // The menu's groups: one open at a time, closed by a click elsewhere or Escape; where
  // the menu folds (a phone) every group stays open under its heading.
  var groups = document.querySelectorAll("nav.menu details.menu-group");
  var folds = function () { return document.body.classList.contains("menu-folds") && window.getComputedStyle(toggle).display !== "none"; };
  groups.forEach(function (d) {
    if (toggle && folds()) { d.open = true; }
    d.querySelector("summary").addEventListener("click", function (e) {
      if (toggle && folds()) { e.preventDefault(); return; }
      groups.forEach(function (o) { if (o !== d) { o.open = false; } });
    });
  });
  document.addEventListener("click", function (e) {
    if (toggle && folds()) { return; }
    groups.forEach(function (d) { if (!d.contains(e.target)) { d.open = false; } });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { groups.forEach(function (d) { d.open = false; }); }
  });
  // Checkbox pickers (systems of a hunt): filter by name, count what is ticked.
  document.querySelectorAll("[data-pick]").forEach(function (box) {
    var filter = box.querySelector("[data-pick-filter]");
    var count = box.querySelector("[data-pick-count]");
    var labels = box.querySelectorAll(".pick-list label");
    var fold = function (t) { return t.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "d").toLowerCase(); };
    var recount = function () {
      var n = box.querySelectorAll(".pick-list input:checked").length;
      if (count) { count.textContent = n ? "(" + n + ")" : ""; }
    };
    box.addEventListener("change", recount);
    recount();
    if (filter) {
      filter.addEventListener("input", function () {
        var q = fold(filter.value.trim());
        labels.forEach(function (l) { l.hidden = q !== "" && fold(l.textContent).indexOf(q) < 0; });
      });
    }
  });
  // Auto-submit list filters when a select changes.
  document.querySelectorAll("form.filters select").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
});
