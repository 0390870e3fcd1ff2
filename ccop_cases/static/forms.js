// The error summary atop a refused form (RGAA 11.10): the focus moves to it when the page
// opens, and a click on one of its links moves the focus to the field itself (the link alone
// only scrolls). Without this file the summary is still shown and its links still jump.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }

  function focusSummary() {
    summary.focus();
  }

  // The field's label (or the legend of its group) is scrolled into view with the field.
  function caption(field) {
    var group = field.closest("fieldset.checks");
    if (group && group.querySelector("legend")) {
      return group.querySelector("legend");
    }
    return document.querySelector("label[for='" + field.id + "']") || field;
  }

  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) {
      return;
    }
    var field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field) {
      return;
    }
    event.preventDefault();
    caption(field).scrollIntoView();
    field.focus({ preventScroll: true });
  });

  focusSummary();
  // A field's autofocus must not take the focus back once the page has loaded.
  window.addEventListener("load", function () {
    if (document.activeElement && document.activeElement.hasAttribute("autofocus")) {
      focusSummary();
    }
  });
}());
