// The facility tablet's check-in code (issue 13): counts down to the next minute, then fetches
// this page again and swaps the code in place. Without JavaScript the page's meta refresh
// reloads it instead. If the fetch fails (network, session ended) the page reloads.
(function () {
  "use strict";
  var root = document.getElementById("qr-tablet");
  if (!root || !window.fetch || !window.DOMParser) { return; }
  var counter = document.getElementById("qr-countdown");
  var text = root.getAttribute("data-countdown-text");
  var deadline = 0;
  var busy = false;

  function start(seconds) {
    deadline = Date.now() + seconds * 1000;
  }

  function swap(fresh) {
    ["qr-frame", "qr-time"].forEach(function (id) {
      var node = fresh.querySelector("#" + id);
      var old = document.getElementById(id);
      if (node && old) { old.replaceWith(document.importNode(node, true)); }
    });
    var data = fresh.querySelector("#qr-tablet");
    ["data-url", "data-minute", "data-seconds-left"].forEach(function (name) {
      root.setAttribute(name, data.getAttribute(name));
    });
    start(parseInt(data.getAttribute("data-seconds-left"), 10));
  }

  function refresh() {
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("no code"); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        if (!fresh.getElementById("qr-tablet")) { throw new Error("no code"); }
        swap(fresh);
        busy = false;
      })
      .catch(function () { window.location.reload(); });
  }

  function tick() {
    var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    counter.textContent = text.replace("__S__", String(left));
    if (left === 0 && !busy) { refresh(); }
  }

  start(parseInt(root.getAttribute("data-seconds-left"), 10));
  tick();
  window.setInterval(tick, 1000);
})();
