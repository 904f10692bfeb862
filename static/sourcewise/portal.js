// Progressive enhancement for the assessment pages: show a conditional question only when the
// answer it depends on makes it relevant. Without JavaScript every question shows, with a hint.
(function () {
  "use strict";

  function currentValue(form, code) {
    var inputs = form.querySelectorAll('[name="q-' + code + '"]');
    var values = [];
    inputs.forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      if (input.value !== "") values.push(input.value);
    });
    // Not on this page: undefined (the server decides). On this page but unanswered: null, which
    // hides the dependent question, as the server does for an unanswered controlling question.
    if (!inputs.length) return undefined;
    var multi = inputs[0].type === "checkbox";
    if (multi) return values;
    return values.length ? values[0] : null;
  }

  function holds(operator, expected, actual) {
    if (actual === undefined || actual === null) return false;
    var list = String(expected).split("|");
    switch (operator) {
      case "equals": return String(actual) === String(expected);
      case "not_equals": return String(actual) !== String(expected);
      case "in": return list.indexOf(String(actual)) !== -1;
      case "not_in": return list.indexOf(String(actual)) === -1;
      case "includes": return Array.isArray(actual) && actual.indexOf(String(expected)) !== -1;
      case "gte": return Number(actual) >= Number(expected);
      case "lte": return Number(actual) <= Number(expected);
      default: return true;
    }
  }

  function refresh(form) {
    form.querySelectorAll("[data-show-if-question]").forEach(function (block) {
      var actual = currentValue(form, block.dataset.showIfQuestion);
      // The controlling question may be on another page: then the server decides, keep it visible.
      if (actual === undefined) return;
      block.hidden = !holds(block.dataset.showIfOperator, block.dataset.showIfValue, actual);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("section-form");
    if (!form) return;
    form.querySelectorAll(".show-if-hint").forEach(function (hint) { hint.hidden = true; });
    refresh(form);
    form.addEventListener("change", function () { refresh(form); });
  });
})();
