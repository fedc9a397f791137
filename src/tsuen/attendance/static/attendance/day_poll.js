// The day screen follows check-ins made elsewhere (a family's QR scan, another tablet): every
// 20 seconds (and at once when the tablet wakes or the window gets the focus) it asks for the
// fingerprint of the day's visits and reloads when it changed, unless staff are typing or have
// a form open. Without JavaScript: reload by hand.
(function () {
  "use strict";
  var live = document.getElementById("day-live");
  if (!live || !window.fetch) { return; }
  var busy = false;

  function editing() {
    var active = document.activeElement;
    if (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) { return true; }
    return document.querySelector("details[open]") !== null;
  }

  function poll() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(live.getAttribute("data-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        busy = false;
        if (answer && answer.version !== live.getAttribute("data-version") && !editing()) {
          window.location.reload();
        }
      })
      .catch(function () { busy = false; });
  }

  window.setInterval(poll, 20000);
  window.addEventListener("focus", poll);
  document.addEventListener("visibilitychange", poll);
})();
