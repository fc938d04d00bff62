// List views: drag the right edge of a column header to change its width. The new width goes
// into the column editor's width field and into the "save" / "update" forms, so saving the view
// stores it. In the column editor, rows can be dragged into another order (their positions are
// renumbered). Without this script widths and positions are typed in the column editor.
(function () {
  "use strict";
  function setWidth(table, key, width) {
    var col = table.querySelector('col[data-key="' + key + '"]');
    if (col) { col.style.width = width + "px"; }
    var field = document.getElementById("w-" + key);
    if (field) { field.value = width; }
    document.querySelectorAll(".view-state-form input[name='c']").forEach(function (input) {
      if (input.value.split(":")[0] === key) { input.value = key + ":" + width; }
    });
  }
  function enhance(table) {
    table.classList.add("view-table--resizable");
    table.querySelectorAll("thead th[data-key]").forEach(function (th) {
      var handle = document.createElement("span");
      handle.className = "col-resize";
      handle.setAttribute("aria-hidden", "true");
      th.appendChild(handle);
      handle.addEventListener("mousedown", function (event) {
        event.preventDefault();
        var startX = event.clientX;
        var startWidth = th.getBoundingClientRect().width;
        function move(e) {
          var width = Math.max(40, Math.min(1200, Math.round(startWidth + e.clientX - startX)));
          setWidth(table, th.getAttribute("data-key"), width);
        }
        function up() {
          document.removeEventListener("mousemove", move);
          document.removeEventListener("mouseup", up);
        }
        document.addEventListener("mousemove", move);
        document.addEventListener("mouseup", up);
      });
    });
  }
  function renumber(body) {
    body.querySelectorAll("tr").forEach(function (row, index) {
      var position = row.querySelector("input.column-position");
      if (position) { position.value = index + 1; }
    });
  }
  function reorderable(body) {
    var dragged = null;
    body.querySelectorAll("tr").forEach(function (row) {
      row.setAttribute("draggable", "true");
      row.addEventListener("dragstart", function (event) {
        dragged = row;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", row.getAttribute("data-key"));
      });
      row.addEventListener("dragover", function (event) {
        if (dragged && dragged !== row) { event.preventDefault(); }
      });
      row.addEventListener("drop", function (event) {
        event.preventDefault();
        if (!dragged || dragged === row) { return; }
        var rect = row.getBoundingClientRect();
        var after = event.clientY > rect.top + rect.height / 2;
        body.insertBefore(dragged, after ? row.nextSibling : row);
        dragged = null;
        renumber(body);
      });
    });
  }
  function start() {
    document.querySelectorAll("table.view-table").forEach(enhance);
    document.querySelectorAll("table.column-chooser tbody").forEach(reorderable);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
