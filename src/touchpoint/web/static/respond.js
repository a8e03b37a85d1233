// Display logic on the respondent page: a question whose show_if does not hold is hidden
// and its inputs disabled (so they are not posted); the server checks the same rules.
(function () {
  "use strict";
  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent || "{}") : {};
  }
  function answer(form, id) {
    var inputs = form.querySelectorAll('[name="q.' + id + '"]');
    var values = [];
    inputs.forEach(function (input) {
      if (input.disabled) return;
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      if (input.value !== "") values.push(input.value);
    });
    if (!values.length) return null;
    return inputs[0].type === "checkbox" ? values : values[0];
  }
  function passes(rule, value) {
    var number = Number(value);
    if ("equals" in rule) return String(value) === String(rule.equals);
    if ("in" in rule) return rule["in"].map(String).indexOf(String(value)) >= 0;
    if ("at_least" in rule) return !isNaN(number) && number >= rule.at_least;
    if ("at_most" in rule) return !isNaN(number) && number <= rule.at_most;
    return true;
  }
  function holds(rule, form, context) {
    if (rule.context) return String(context[rule.context]) === String(rule.equals);
    var value = answer(form, rule.question);
    if (value === null) return false;
    if (Array.isArray(value)) return value.some(function (v) { return passes(rule, v); });
    return passes(rule, value);
  }
  function apply(form, logic, context) {
    form.querySelectorAll("fieldset[data-question]").forEach(function (set) {
      var rule = logic[set.dataset.question];
      var shown = !rule || holds(rule, form, context);
      set.hidden = !shown;
      set.querySelectorAll("input, textarea").forEach(function (input) {
        input.disabled = !shown;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("survey");
    if (!form) return;
    var logic = read("survey-logic");
    var context = read("survey-context");
    apply(form, logic, context);
    form.addEventListener("change", function () { apply(form, logic, context); });
  });
})();
