// GOV.UK form patterns on the portal: the error summary takes the focus (and the page scrolls to
// it); its links focus the field they name, with its label or legend in view.
(function () {
  "use strict";
  function focusTarget(id) {
    var input = document.getElementById(id);
    if (!input) { return false; }
    var fieldset = input.closest("fieldset");
    var legend = fieldset ? fieldset.querySelector("legend") : null;
    var label = document.querySelector('label[for="' + id + '"]');
    var anchor = (input.type === "radio" || input.type === "checkbox") && legend ? legend : label || input;
    anchor.scrollIntoView();
    input.focus({ preventScroll: true });
    return true;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a[href^='#']");
        if (link && focusTarget(link.getAttribute("href").slice(1))) { event.preventDefault(); }
      });
    }
    // Arriving from "Thay đổi" on the check-answers page: focus the answer to change.
    if (!summary && window.location.hash.length > 1) {
      focusTarget(decodeURIComponent(window.location.hash.slice(1)));
    }
  });
})();
