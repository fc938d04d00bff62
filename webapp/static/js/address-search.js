// Progressive enhancement of the address register search: the municipality appears as soon as a
// postcode is typed, and the street list offers the streets of that postcode as letters are
// typed. Without this script the same steps happen when the form is sent. Used wherever the
// partial templates/places/_register_search.html is (any element with data-address-search).
(function () {
  "use strict";
  function debounce(fn, ms) {
    var timer;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }
  function getJSON(url, done) {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { done(data); } })
      .catch(function () { /* the form still works when sent */ });
  }
  function enhance(form) {
    var postcode = form.querySelector("[data-register=postcode]");
    var street = form.querySelector("[data-register=street]");
    var municipality = form.querySelector("[data-register=municipality]");
    var streets = form.querySelector("[data-register=street-names]");
    if (!postcode || !street || !municipality || !streets || !window.fetch) { return; }
    var label = municipality.getAttribute("data-label") || "";
    postcode.addEventListener("input", debounce(function () {
      var value = postcode.value.replace(/\s+/g, "");
      if (!/^[0-9]{4}$/.test(value)) { municipality.textContent = ""; return; }
      getJSON(form.dataset.municipalities + "?postcode=" + encodeURIComponent(value), function (data) {
        municipality.textContent = data.municipalities.length ? label + data.municipalities.join(", ") : "—";
      });
    }, 250));
    street.addEventListener("input", debounce(function () {
      var value = postcode.value.replace(/\s+/g, "");
      if (!/^[0-9]{4}$/.test(value) || !street.value.trim()) { return; }
      var url = form.dataset.streets + "?postcode=" + encodeURIComponent(value) + "&q=" + encodeURIComponent(street.value.trim());
      getJSON(url, function (data) {
        streets.textContent = "";
        data.streets.forEach(function (name) {
          var option = document.createElement("option");
          option.value = name;
          streets.appendChild(option);
        });
      });
    }, 200));
  }
  function start() { document.querySelectorAll("[data-address-search]").forEach(enhance); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
