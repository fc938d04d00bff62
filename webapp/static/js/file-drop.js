// Progressive enhancement of the upload form of the Files tab: files dropped on the form are
// put in its file input and sent. Without this script the file input works as usual.
(function () {
  "use strict";
  function enhance(form) {
    var input = form.querySelector('input[type="file"]');
    if (!input || typeof DataTransfer === "undefined") { return; }
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (event) {
        event.preventDefault();
        form.classList.add("drop-zone--over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function () { form.classList.remove("drop-zone--over"); });
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
      input.files = event.dataTransfer.files;
      form.submit();
    });
  }
  function start() {
    document.querySelectorAll("form.drop-zone").forEach(enhance);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
