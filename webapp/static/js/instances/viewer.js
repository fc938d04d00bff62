// The instance viewer and the heat map: a bpmn-js NavigatedViewer of the version's diagram.
// Instance mode marks completed (gi-completed), active (gi-active, with a count badge when more
// than one token waits there) and failed (gi-incident) elements, and a click on an element loads
// its history into the side panel. Heat-map mode puts the figures of each element on it and
// colours it by waiting tokens (or passed ones when none waits). Data and translated texts come
// from the page's JSON block #instances-data (no inline script: the CSP forbids it).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("instances-data").textContent);
  const t = (key) => data.texts[key] || key;
  const $ = (selector) => document.querySelector(selector);
  const NOT_CLICKABLE = ["bpmn:Process", "bpmn:Collaboration", "bpmn:Participant", "bpmn:Lane",
    "bpmn:SequenceFlow", "bpmn:MessageFlow", "bpmn:Association", "bpmn:TextAnnotation"];
  const HEAT_LEVELS = 5;

  function h(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([name, value]) => {
      if (value === undefined || value === null) return;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    });
    (children || []).forEach((child) => child && node.appendChild(child));
    return node;
  }

  function status(message, isError) {
    const node = $("#instances-status");
    node.textContent = message || "";
    node.className = "instances-status" + (isError ? " instances-status--error" : "");
    node.setAttribute("role", isError ? "alert" : "status");
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(t("server_error") + " (" + response.status + ")");
    return response.json();
  }

  const viewer = new window.BpmnJS({ container: "#instances-canvas" });
  window.GuichetInstances = { viewer: viewer };  // for the browser tests and the console
  const canvas = viewer.get("canvas");
  const overlays = viewer.get("overlays");
  const registry = viewer.get("elementRegistry");

  // ---------------------------------------------------------------- instance mode

  function markInstance() {
    data.marks.forEach((mark) => {
      if (!registry.get(mark.id)) return;
      if (mark.completed > 0) canvas.addMarker(mark.id, "gi-completed");
      if (mark.active > 0) canvas.addMarker(mark.id, "gi-active");
      if (mark.incident) canvas.addMarker(mark.id, "gi-incident");
      if (mark.active > 1) {
        overlays.add(mark.id, "gi-count", {
          position: { top: -10, right: 10 },
          html: h("span", { class: "gi-badge", title: mark.active + " " + t("tokens_here"), text: String(mark.active) }),
        });
      }
    });
  }

  function keyValueTable(caption, values) {
    if (!values || !Object.keys(values).length) {
      return h("p", { class: "instances-data-empty" }, [h("strong", { text: caption + ": " }), document.createTextNode(t("no_data"))]);
    }
    const rows = Object.entries(values).map(([key, value]) => h("tr", {}, [
      h("th", { scope: "row", text: key }),
      h("td", { text: typeof value === "string" ? value : JSON.stringify(value) }),
    ]));
    return h("table", { class: "table instances-kv" }, [
      h("caption", { text: caption }),
      h("thead", {}, [h("tr", {}, [h("th", { scope: "col", text: t("key") }), h("th", { scope: "col", text: t("value") })])]),
      h("tbody", {}, rows),
    ]);
  }

  function fact(label, value) {
    return h("div", {}, [h("dt", { text: label }), h("dd", { text: value || "—" })]);
  }

  function showHistory(payload) {
    const panel = $("#instances-panel");
    const parts = [h("h2", { text: t("history_of") + " " + payload.name })];
    if (payload.name !== payload.element) parts.push(h("p", {}, [h("code", { text: payload.element })]));
    if (!payload.data_allowed && payload.data_hidden) {
      parts.push(h("p", { class: "instances-data-hidden", text: payload.data_hidden }));
    }
    if (!payload.visits.length) parts.push(h("p", { class: "empty", text: t("no_visit") }));
    const list = h("ol", { class: "instances-visits" });
    payload.visits.forEach((visit) => {
      const item = h("li", { class: "instances-visit instances-visit--" + (visit.outcome || "active") }, [
        h("dl", { class: "instances-visit__facts" }, [
          fact(t("entered"), visit.entered_at),
          fact(t("left"), visit.left_at),
          fact(t("outcome"), visit.outcome_label),
          fact(t("actor"), visit.actor),
        ]),
      ]);
      if (payload.data_allowed) {
        item.appendChild(keyValueTable(t("data_in"), visit.data_in));
        item.appendChild(keyValueTable(t("data_out"), visit.data_out));
      }
      list.appendChild(item);
    });
    parts.push(list);
    panel.replaceChildren(...parts);
  }

  async function loadHistory(element) {
    const panel = $("#instances-panel");
    panel.replaceChildren(h("p", { text: t("loading") }));
    try {
      showHistory(await getJson(data.urls.history.replace("__ID__", encodeURIComponent(element.id))));
      panel.dataset.element = element.id;
    } catch (error) {
      panel.replaceChildren(h("p", { class: "instances-status--error", role: "alert", text: error.message }));
    }
  }

  function clickable(element) {
    const target = element.type === "label" ? element.labelTarget : element;
    if (!target || !target.businessObject || NOT_CLICKABLE.includes(target.type)) return null;
    return target;
  }

  // ---------------------------------------------------------------- heat-map mode

  function markHeat(cells) {
    const byWaiting = cells.some((cell) => cell.waiting > 0);
    const measure = (cell) => (byWaiting ? cell.waiting : cell.passed);
    const top = Math.max(1, ...cells.map(measure));
    cells.forEach((cell) => {
      if (!registry.get(cell.id)) return;
      const value = measure(cell);
      if (value > 0) {
        const level = Math.max(1, Math.ceil((value / top) * HEAT_LEVELS));
        canvas.addMarker(cell.id, "instances-heat-" + level);
      }
      // above the element: the labels of events and gateways sit below them
      overlays.add(cell.id, "gi-heat", {
        position: { top: -42, left: 0 },
        html: h("span", { class: "gi-heat-figures", "data-element-id": cell.id, title: cell.name }, [
          h("span", { class: "gi-heat-passed", title: t("passed"), text: "✓ " + cell.passed }),
          h("span", { class: "gi-heat-waiting", title: t("waiting"), text: t("waiting_short") + " " + cell.waiting }),
          h("span", { class: "gi-heat-avg", title: t("average"), text: "⌀ " + cell.avg }),
        ]),
      });
    });
  }

  // ---------------------------------------------------------------- start

  async function start() {
    try {
      const response = await fetch(data.urls.diagram, { credentials: "same-origin" });
      if (!response.ok) throw new Error(t("server_error") + " (" + response.status + ")");
      await viewer.importXML(await response.text());
      canvas.zoom("fit-viewport", "auto");
    } catch (error) {
      status(t("cannot_open") + " " + error.message, true);
      return;
    }
    if (data.mode === "instance") {
      markInstance();
      $("#instances-panel").replaceChildren(h("p", { class: "empty", text: t("pick_element") }));
      const picker = $("#instances-element");
      viewer.get("eventBus").on("element.click", (event) => {
        const element = clickable(event.element);
        if (!element) return;
        if (picker) picker.value = element.id;
        loadHistory(element);
      });
      if (picker) {  // the same history without a mouse
        picker.addEventListener("change", () => {
          if (!picker.value) return;
          const element = registry.get(picker.value);
          if (element) canvas.scrollToElement(element);
          loadHistory({ id: picker.value });
        });
      }
    } else {
      try {
        markHeat((await getJson(data.urls.cells)).cells);
      } catch (error) {
        status(error.message, true);
      }
    }
    document.body.dataset.instancesReady = "true";
  }

  start();
})();
