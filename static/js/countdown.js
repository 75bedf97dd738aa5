// Counts down every [data-countdown="<ISO time>"] once a second; when a hold runs out,
// says so and disables its "Pay and book" button.
"use strict";

(function () {
  const timers = Array.from(document.querySelectorAll("[data-countdown]"));
  if (!timers.length) return;

  function format(seconds) {
    const m = Math.floor(seconds / 60);
    const s = seconds % 60;
    return m + ":" + String(s).padStart(2, "0");
  }

  function expire(element) {
    element.textContent = "0:00";
    const box = element.closest("section, li") || document;
    box.querySelectorAll("[data-pay-form] button[type=submit]").forEach(function (button) {
      button.disabled = true;
    });
    if (!box.querySelector(".hold-expired")) {
      const note = document.createElement("p");
      note.className = "hold-expired alert-error";
      note.setAttribute("role", "alert");
      note.textContent = "Your hold expired and the seats were released. Pick seats and hold them again.";
      element.closest("p").after(note);
    }
  }

  function tick() {
    const now = Date.now();
    timers.forEach(function (element) {
      const left = Math.round((Date.parse(element.dataset.countdown) - now) / 1000);
      if (left <= 0) {
        if (!element.dataset.expired) {
          element.dataset.expired = "1";
          expire(element);
        }
      } else {
        element.textContent = format(left);
      }
    });
  }

  tick();
  window.setInterval(tick, 1000);
})();
