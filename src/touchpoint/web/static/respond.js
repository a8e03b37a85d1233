// Display logic on the respondent page: a question whose show_if does not hold is hidden
// and its inputs disabled (so they are not posted); the server checks the same rules.
// And, on the forms that ask for it (data-unanswered: the item batteries such as
// SERVQUAL), a soft check on "submit": visible items left blank are counted and marked
// before the answers go, and the respondent may submit them as they are.
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
  // The visible rating and choice questions left blank, each marked (and every other one
  // unmarked); a free-text question is optional by nature and never counted.
  function unanswered(form) {
    var missing = [];
    form.querySelectorAll("fieldset[data-question]").forEach(function (set) {
      var blank = !set.hidden && !set.classList.contains("text") &&
      answer(form, set.dataset.question) === null;
      set.classList.toggle("unanswered", blank);
      if (blank) missing.push(set);
    });
    return missing;
  }
  // "Submit" with questions left blank first says how many and marks them; the
  // respondent answers them or submits as it is ("save" is never held up).
  function softCheck(form) {
    var notice = document.getElementById("unanswered");
    var submit = document.getElementById("submit");
    if (!notice || !submit || !form.dataset.unanswered) return;
    var text = notice.querySelector("p");
    var confirmed = false;
    form.addEventListener("submit", function (event) {
      if (confirmed || event.submitter !== submit) return;
      var missing = unanswered(form);
      if (!missing.length) return;
      event.preventDefault();
      text.textContent = form.dataset.unanswered.replace("{n}", String(missing.length));
      notice.hidden = false;
    });
    form.addEventListener("change", function () {
      if (!notice.hidden && !unanswered(form).length) notice.hidden = true;
    });
    document.getElementById("answer-them").addEventListener("click", function () {
      var first = unanswered(form)[0];
      if (first) first.scrollIntoView({ block: "center" });
    });
    document.getElementById("submit-anyway").addEventListener("click", function () {
      confirmed = true;
      form.requestSubmit(submit);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("survey");
    if (!form) return;
    var logic = read("survey-logic");
    var context = read("survey-context");
    apply(form, logic, context);
    form.addEventListener("change", function () { apply(form, logic, context); });
    softCheck(form);
  });
})();
