// Fills the prefecture, city and town from the postal code (same-origin JSON, no third
// parties). Without JavaScript the server fills prefecture and city when the form is sent.
(function () {
  "use strict";
  function digitsOf(value) {
    return value
      .replace(/[０-９]/g, function (d) { return String.fromCharCode(d.charCodeAt(0) - 0xfee0); })
      .replace(/[^0-9]/g, "");
  }
  function field(form, name) {
    return form.querySelector('[name$="-' + name + '"]');
  }
  function setup(input) {
    var form = input.form;
    var status = document.getElementById("postal-status");
    var last = "";
    function lookup() {
      var digits = digitsOf(input.value);
      if (digits.length !== 7 || digits === last) { return; }
      last = digits;
      var url = input.getAttribute("data-postal-url").replace("0000000", digits);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (data.error) {  // over the rate limit (429): the server's message, try again later
            last = "";
            if (status) { status.textContent = data.error; }
            return;
          }
          if (!data.found) {
            if (status) { status.textContent = status.getAttribute("data-not-found"); }
            return;
          }
          input.value = data.postal_code;
          var pref = field(form, "prefecture"), city = field(form, "city"), line = field(form, "address_line");
          if (pref) { pref.value = data.prefecture; }
          if (city) { city.value = data.city; }
          if (line && !line.value) { line.value = data.town; }
          if (status) { status.textContent = status.getAttribute("data-found"); }
        })
        .catch(function () { last = ""; });
    }
    input.addEventListener("change", lookup);
    input.addEventListener("input", lookup);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("input[data-postal-url]");
    for (var i = 0; i < inputs.length; i++) { setup(inputs[i]); }
  });
})();
