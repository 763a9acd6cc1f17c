// The work queue's "select all on this page" box and the count of selected dossiers. Without
// JavaScript each dossier is ticked by hand; the box stays hidden.
(function () {
  "use strict";
  function boxes(name) {
    return Array.prototype.slice.call(
      document.querySelectorAll('input[type="checkbox"][name="' + name + '"]')
    );
  }
  function refresh(name) {
    var all = boxes(name);
    var ticked = all.filter(function (b) { return b.checked; }).length;
    document.querySelectorAll('[data-select-all="' + name + '"]').forEach(function (master) {
      master.checked = all.length > 0 && ticked === all.length;
      master.indeterminate = ticked > 0 && ticked < all.length;
    });
    document.querySelectorAll('[data-selected-count="' + name + '"]').forEach(function (out) {
      out.textContent = ticked ? "Đã chọn " + ticked + " hồ sơ." : "";
    });
  }
  function setup() {
    document.querySelectorAll("[data-select-all]").forEach(function (master) {
      var name = master.getAttribute("data-select-all");
      master.hidden = false;
      refresh(name);
    });
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement) || target.type !== "checkbox") { return; }
    var name = target.getAttribute("data-select-all");
    if (name) {
      boxes(name).forEach(function (b) { b.checked = target.checked; });
      refresh(name);
    } else if (target.name) {
      refresh(target.name);
    }
  });
  document.addEventListener("DOMContentLoaded", setup);
  // htmx replaces the rows when a filter changes.
  document.addEventListener("htmx:afterSwap", setup);
})();
