// The search form's place in two steps: when the prefecture changes, the municipality list is
// refilled with that prefecture's municipalities (same-origin JSON). Without JavaScript the
// list follows the prefecture once the form is sent.
(function () {
  "use strict";
  function setup(form) {
    var prefecture = form.querySelector("select[name=prefecture]");
    var municipality = form.querySelector("select[name=municipality]");
    if (!prefecture || !municipality) { return; }
    var asked = 0;
    prefecture.addEventListener("change", function () {
      var mine = ++asked;
      var url = form.getAttribute("data-municipalities-url") +
        "?prefecture=" + encodeURIComponent(prefecture.value);
      municipality.disabled = true;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (mine !== asked) { return; }  // a later choice is on its way
          municipality.replaceChildren(new Option(data.all, ""));
          data.municipalities.forEach(function (m) {
            municipality.add(new Option(m[1], String(m[0])));
          });
          municipality.disabled = data.municipalities.length === 0;
          var help = document.getElementById(municipality.id + "_helptext");
          if (help) { help.hidden = !municipality.disabled; }
        })
        .catch(function () { municipality.disabled = false; });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.search-form").forEach(setup);
  });
})();
