// Live SLA countdowns: every element with data-due (ISO 8601 instant) shows the time left
// until that deadline, ticking each second; the server re-renders the queue periodically
// (htmx polling) so business-hours effects and pauses are always the server's numbers.
(function () {
  "use strict";
  function pad(n) { return String(n).padStart(2, "0"); }
  function render(el, now) {
    if (el.dataset.paused === "true") { return; }
    var due = Date.parse(el.dataset.due);
    if (isNaN(due)) { return; }
    var secs = Math.round((due - now) / 1000);
    var sign = secs < 0 ? "-" : "";
    var a = Math.abs(secs);
    var text = sign + Math.floor(a / 3600) + ":" + pad(Math.floor((a % 3600) / 60)) + ":" + pad(a % 60);
    el.textContent = text;
    var warnSecs = parseInt(el.dataset.warnSeconds || "0", 10);
    el.classList.toggle("bad", secs < 0);
    el.classList.toggle("warn", secs >= 0 && secs <= warnSecs);
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) { render(el, now); });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 1000);
})();
