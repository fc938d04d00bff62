// The modeler page: loads a diagram into bpmn-js, the toolbar (undo/redo, zoom, fit, downloads),
// Validate (marks each problem on its element), Save draft (refused when someone saved meanwhile),
// Deploy with a comment, and the version history. Data and translated texts come from the page's
// JSON block #designer-data (no inline script: the CSP forbids it).
(function () {
  "use strict";
  const NS = window.GuichetDesigner;
  const h = NS.h;
  const data = JSON.parse(document.getElementById("designer-data").textContent);
  const t = (key) => data.texts[key] || key;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (selector) => document.querySelector(selector);

  const modeler = new window.BpmnJS({
    container: "#designer-canvas",
    keyboard: { bind: true },
    moddleExtensions: { spiffworkflow: NS.spiffModdle },
  });
  NS.modeler = modeler;  // for the browser tests and the console
  const canvas = modeler.get("canvas");
  const overlays = modeler.get("overlays");
  const registry = modeler.get("elementRegistry");
  const commandStack = modeler.get("commandStack");

  const state = { lockVersion: null, baseVersion: null, marked: [], dirty: false };

  function status(message, kind) {
    const node = $("#designer-status");
    node.textContent = message;
    node.className = "designer-status" + (kind ? " designer-status--" + kind : "");
    node.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  async function call(url, body) {
    const response = await fetch(url, {
      method: body === undefined ? "GET" : "POST",
      headers: Object.assign({ Accept: "application/json" },
        body === undefined ? {} : { "Content-Type": "application/json", "X-CSRFToken": csrf }),
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    let payload = {};
    try { payload = await response.json(); } catch (e) { payload = { error: t("server_error") }; }
    return { ok: response.ok, status: response.status, body: payload };
  }

  async function xml() {
    return (await modeler.saveXML({ format: true })).xml;
  }

  function download(name, text, type) {
    const link = h("a", { href: URL.createObjectURL(new Blob([text], { type: type })), download: name });
    document.body.appendChild(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  // ---------------------------------------------------------------- problems on the diagram

  function clearProblems() {
    overlays.remove({ type: "guichet-problem" });
    state.marked.forEach((id) => registry.get(id) && canvas.removeMarker(id, "guichet-problem"));
    state.marked = [];
    $("#designer-problems").replaceChildren();
  }

  function showProblems(problems) {
    clearProblems();
    const list = $("#designer-problems");
    if (!problems.length) {
      list.appendChild(h("li", { class: "designer-problem designer-problem--none", text: t("no_problems") }));
      return;
    }
    const byElement = {};
    problems.forEach((problem) => {
      const id = problem.element_id;
      const element = id && registry.get(id);
      if (element) {
        (byElement[id] = byElement[id] || []).push(problem.message);
      }
      list.appendChild(h("li", { class: "designer-problem", "data-problem-id": id || "" }, [
        element
          ? h("button", { type: "button", class: "link-button", text: element.businessObject.name || id, onclick: () => {
            modeler.get("selection").select(element);
            canvas.scrollToElement(element);
          } })
          : h("span", { text: id || t("whole_diagram") }),
        document.createTextNode(": " + problem.message + (problem.line ? " (" + t("line") + " " + problem.line + ")" : "")),
      ]));
    });
    Object.entries(byElement).forEach(([id, messages]) => {
      canvas.addMarker(id, "guichet-problem");
      state.marked.push(id);
      overlays.add(id, "guichet-problem", {
        position: { top: -14, right: 10 },
        html: h("div", { class: "guichet-problem-badge", title: messages.join("\n"), "data-problem-for": id }, [
          h("span", { "aria-hidden": "true", text: "!" }),
          h("span", { class: "guichet-problem-text", text: messages.join(" · ") }),
        ]),
      });
    });
  }

  // ---------------------------------------------------------------- history

  function summary(diff) {
    if (!diff) return t("first_version");
    const parts = [];
    [["added", "+"], ["removed", "−"], ["changed", "~"]].forEach(([part, sign]) => {
      if (diff[part].length) {
        parts.push(t(part) + " " + diff[part].map((e) => sign + (e.name || e.id)).join(", "));
      }
    });
    return parts.length ? parts.join("; ") : t("no_element_changed");
  }

  async function loadHistory() {
    const result = await call(data.urls.history);
    const list = $("#designer-history");
    const versions = (result.body.versions || []);
    list.replaceChildren(...versions.map((v) => h("li", { "data-version": String(v.version) }, [
      h("strong", { text: t("version") + " " + v.version }),
      document.createTextNode(" · " + (v.deployed_by || t("unknown_person")) + " · " + (v.deployed_at || "")),
      v.comment ? h("p", { class: "designer-history__comment", text: v.comment }) : null,
      h("p", { class: "designer-history__summary", text: summary(v.summary) }),
      h("a", { href: v.open_url, text: t("open") }),
      document.createTextNode(" · "),
      h("a", { href: v.download_url, text: t("download_bpmn") }),
    ])));
    if (!versions.length) list.appendChild(h("li", { text: t("not_deployed_yet") }));
  }

  // ---------------------------------------------------------------- actions

  async function open() {
    const url = data.urls.diagram + (data.chosen ? "?version=" + data.chosen : "");
    const result = await call(url);
    if (!result.ok) { status(result.body.error || t("server_error"), "error"); return; }
    const body = result.body;
    try {
      await modeler.importXML(body.xml);
    } catch (err) {
      status(t("cannot_open") + " " + err.message, "error");
      return;
    }
    canvas.zoom("fit-viewport", "auto");
    state.lockVersion = body.draft_lock_version;
    state.baseVersion = body.version;
    state.dirty = false;
    const what = body.source === "draft"
      ? t("opened_draft") + (body.draft_saved_by ? " (" + body.draft_saved_by + ", " + body.draft_saved_at + ")" : "")
      : t("opened_version") + " " + body.version;
    $("#designer-opened").textContent = what;
    status(what);
  }

  async function validate() {
    status(t("validating"));
    const result = await call(data.urls.validate, { xml: await xml(), key: data.key });
    if (!result.ok) { status(result.body.error || t("server_error"), "error"); return; }
    showProblems(result.body.problems);
    status(result.body.valid ? t("valid") : t("has_problems") + " " + result.body.problems.length,
      result.body.valid ? "success" : "error");
  }

  async function saveDraft() {
    const result = await call(data.urls.draft, {
      xml: await xml(), lock_version: state.lockVersion, base_version: state.baseVersion,
    });
    if (!result.ok) { status(result.body.error || t("server_error"), "error"); return; }
    state.lockVersion = result.body.lock_version;
    state.dirty = false;
    status(result.body.message + " " + (result.body.saved_at || ""), "success");
  }

  async function deploy(event) {
    event.preventDefault();
    const comment = $("#designer-comment").value.trim();
    if (!comment) { status(t("comment_required"), "error"); $("#designer-comment").focus(); return; }
    status(t("deploying"));
    const result = await call(data.urls.deploy, { xml: await xml(), comment: comment });
    if (result.status === 422) {
      showProblems(result.body.problems || []);
      status(result.body.error, "error");
      return;
    }
    if (!result.ok) { status(result.body.error || t("server_error"), "error"); return; }
    clearProblems();
    state.lockVersion = null;  // the draft became a version
    state.baseVersion = result.body.version;
    state.dirty = false;
    $("#designer-comment").value = "";
    $("#designer-opened").textContent = t("opened_version") + " " + result.body.version;
    status(result.body.message, "success");
    await loadHistory();
  }

  const actions = {
    undo: () => commandStack.undo(),
    redo: () => commandStack.redo(),
    "zoom-in": () => modeler.get("zoomScroll").stepZoom(1),
    "zoom-out": () => modeler.get("zoomScroll").stepZoom(-1),
    fit: () => canvas.zoom("fit-viewport", "auto"),
    "download-bpmn": async () => download(data.key + ".bpmn", await xml(), "application/xml"),
    "download-svg": async () => download(data.key + ".svg", (await modeler.saveSVG()).svg, "image/svg+xml"),
    validate: validate,
    "save-draft": saveDraft,
  };
  document.querySelectorAll("[data-designer-action]").forEach((button) => {
    button.addEventListener("click", () => actions[button.dataset.designerAction]());
  });
  $("#designer-deploy").addEventListener("submit", deploy);

  modeler.get("eventBus").on("commandStack.changed", () => {
    state.dirty = true;
    $('[data-designer-action="undo"]').disabled = !commandStack.canUndo();
    $('[data-designer-action="redo"]').disabled = !commandStack.canRedo();
  });
  window.addEventListener("beforeunload", (event) => {
    if (state.dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  (async function start() {
    const catalog = await call(data.urls.catalog);
    new NS.Panel(modeler, $("#designer-panel"), catalog.body, data.texts);
    await open();
    await loadHistory();
    document.body.dataset.designerReady = "true";
  })();
})();
