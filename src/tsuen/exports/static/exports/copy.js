// The "copy the password" button of a protected export. Without JavaScript (or without the
// clipboard API) the button stays hidden and the password is selected with one tap.
(function () {
  "use strict";
  var button = document.getElementById("copy-password");
  var status = document.getElementById("copy-status");
  if (!button || !navigator.clipboard) { return; }
  var source = document.getElementById(button.getAttribute("data-copies"));
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.textContent.trim()).then(
      function () { status.textContent = status.getAttribute("data-done"); },
      function () { status.textContent = status.getAttribute("data-failed"); }
    );
  });
})();
