// Guichet's properties panel: for the selected element, the properties the engine reads, chosen from
// lists the server gives (/designer/api/catalog), written as BPMN extension elements through the
// modeler's commands (so undo/redo covers them). Plain DOM, no framework.
(function () {
  "use strict";
  const NS = window.GuichetDesigner = window.GuichetDesigner || {};

  function h(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === undefined || value === null || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach((child) => child && node.appendChild(child));
    return node;
  }

  let counter = 0;
  function fieldId() { counter += 1; return "panel-field-" + counter; }

  function labelled(label, control, help) {
    const id = control.id || fieldId();
    control.id = id;
    return h("div", { class: "designer-field" }, [
      h("label", { for: id, text: label }), control, help ? h("p", { class: "designer-help", text: help }) : null,
    ]);
  }

  function select(options, current, onChange, blank) {
    const node = h("select", { onchange: (e) => onChange(e.target.value) });
    if (blank !== undefined) node.appendChild(h("option", { value: "", text: blank }));
    options.forEach((opt) => {
      if (opt.group) {
        const group = h("optgroup", { label: opt.group });
        opt.options.forEach((o) => group.appendChild(h("option", { value: o.value, text: o.label })));
        node.appendChild(group);
      } else {
        node.appendChild(h("option", { value: opt.value, text: opt.label }));
      }
    });
    node.value = current || "";
    if (current && node.value !== current) {  // a value the server does not know: keep it visible
      node.appendChild(h("option", { value: current, text: current + " (?)" }));
      node.value = current;
    }
    return node;
  }

  function Panel(modeler, container, catalog, texts) {
    this.modeler = modeler;
    this.container = container;
    this.catalog = catalog;
    this.t = (key) => texts[key] || key;
    this.modeling = modeler.get("modeling");
    this.moddle = modeler.get("moddle");
    this.canvas = modeler.get("canvas");
    this.selected = null;
    const eventBus = modeler.get("eventBus");
    eventBus.on("selection.changed", (event) => {
      this.selected = event.newSelection.length === 1 ? event.newSelection[0] : null;
      this.render();
    });
    eventBus.on("commandStack.changed", () => this.render());
    eventBus.on("import.done", () => { this.selected = null; this.render(); });
  }

  // ------------------------------------------------------------------ the model

  Panel.prototype.process = function () {
    const root = this.canvas.getRootElement();
    if (!root || !root.businessObject) return null;
    const bo = root.businessObject;
    if (bo.$type === "bpmn:Collaboration") {
      const participant = (bo.participants || []).find((p) => p.processRef);
      const shape = participant && this.modeler.get("elementRegistry").get(participant.id);
      return participant ? { element: shape || root, bo: participant.processRef } : null;
    }
    return { element: root, bo: bo };
  };

  Panel.prototype.extensions = function (element, bo) {
    let ext = bo.extensionElements;
    if (!ext) {
      ext = this.moddle.create("bpmn:ExtensionElements", { values: [] });
      this.modeling.updateModdleProperties(element, bo, { extensionElements: ext });
    }
    return ext;
  };

  Panel.prototype.findExtension = function (bo, type) {
    return ((bo.extensionElements && bo.extensionElements.values) || []).find((v) => v.$type === type) || null;
  };

  Panel.prototype.property = function (bo, name) {
    const props = this.findExtension(bo, "spiffworkflow:Properties");
    const prop = props && (props.values || []).find((p) => p.name === name);
    return prop ? prop.value : "";
  };

  Panel.prototype.setProperty = function (element, bo, name, value) {
    value = (value || "").trim();
    let props = this.findExtension(bo, "spiffworkflow:Properties");
    const existing = props && (props.values || []).find((p) => p.name === name);
    if (!value) {
      if (existing) {
        this.modeling.updateModdleProperties(element, props, { values: props.values.filter((p) => p !== existing) });
      }
      return;
    }
    if (existing) {
      this.modeling.updateModdleProperties(element, existing, { value: value });
      return;
    }
    const ext = this.extensions(element, bo);
    if (!props) {
      props = this.moddle.create("spiffworkflow:Properties", { values: [] });
      this.modeling.updateModdleProperties(element, ext, { values: (ext.values || []).concat([props]) });
    }
    const prop = this.moddle.create("spiffworkflow:Property", { name: name, value: value });
    this.modeling.updateModdleProperties(element, props, { values: (props.values || []).concat([prop]) });
  };

  Panel.prototype.dossierType = function () {
    const process = this.process();
    if (!process) return "";
    const types = this.catalog.dossier_types.map((d) => d.code);
    const declared = this.property(process.bo, "dossierType");
    if (declared) return declared;
    return types.includes(process.bo.id) ? process.bo.id : "";
  };

  // ------------------------------------------------------------------ rendering

  Panel.prototype.render = function () {
    const element = this.selected;
    const body = [];
    if (!element || element.type === "bpmn:Process" || element.type === "bpmn:Collaboration") {
      body.push(...this.processSection());
    } else {
      const bo = element.businessObject;
      body.push(h("p", { class: "designer-panel__what" }, [
        h("strong", { text: bo.name || bo.id }), document.createTextNode(" · " + bo.$type.replace("bpmn:", "")),
      ]));
      if (bo.$type === "bpmn:UserTask") body.push(...this.userTaskSection(element, bo));
      if (bo.$type === "bpmn:ServiceTask") body.push(...this.serviceTaskSection(element, bo));
      if (bo.$type === "bpmn:ScriptTask") body.push(...this.scriptSection(element, bo));
      if (bo.$type === "bpmn:SequenceFlow") body.push(...this.flowSection(element, bo));
      if (bo.$type === "bpmn:IntermediateThrowEvent" && !(bo.eventDefinitions || []).length) {
        body.push(...this.milestoneSection(element, bo));
      }
      (bo.eventDefinitions || []).forEach((definition) => {
        if (definition.$type === "bpmn:TimerEventDefinition") body.push(...this.timerSection(element, definition));
        if (definition.$type === "bpmn:MessageEventDefinition") body.push(...this.messageSection(element, definition));
      });
      if (body.length === 1) body.push(h("p", { class: "designer-help", text: this.t("no_properties") }));
    }
    this.container.replaceChildren(h("h2", { text: this.t("properties") }), ...body);
  };

  Panel.prototype.processSection = function () {
    const process = this.process();
    if (!process) return [h("p", { text: this.t("select_element") })];
    const types = this.catalog.dossier_types.map((d) => ({ value: d.code, label: d.name }));
    const current = this.property(process.bo, "dossierType");
    return [
      h("p", { class: "designer-panel__what" }, [
        h("strong", { text: process.bo.name || process.bo.id }), document.createTextNode(" · " + this.t("process")),
      ]),
      labelled(this.t("process_key"), h("input", { type: "text", value: process.bo.id, readonly: true })),
      labelled(
        this.t("dossier_type"),
        select(types, current, (v) => this.setProperty(process.element, process.bo, "dossierType", v), this.t("none")),
        this.t("dossier_type_help"),
      ),
      h("p", { class: "designer-help", text: this.t("select_element") }),
    ];
  };

  Panel.prototype.userTaskSection = function (element, bo) {
    const forms = this.catalog.forms.map((f) => ({ value: f.key, label: f.title + " (" + f.key + ")" }));
    const formKey = this.property(bo, "formKey");
    const queueOptions = [
      { group: this.t("queues"), options: this.catalog.queues.map((q) => ({ value: q.code, label: q.name })) },
      { group: this.t("roles"), options: this.catalog.roles.map((r) => ({ value: r.code, label: r.name })) },
    ];
    const out = [
      labelled(this.t("form_key"), select(forms, formKey, (v) => this.setProperty(element, bo, "formKey", v),
        this.t("choose")), this.t("form_key_help")),
    ];
    const form = this.catalog.forms.find((f) => f.key === formKey);
    if (form) {
      out.push(h("ul", { class: "designer-form-fields", "aria-label": this.t("form_fields") },
        form.fields.map((f) => h("li", { text: f.label + " (" + f.name + ")" + (f.required ? " *" : "") }))));
    }
    out.push(labelled(this.t("queue_or_role"),
      select(queueOptions, this.property(bo, "queue"), (v) => this.setProperty(element, bo, "queue", v),
        this.t("lane_queue")), this.t("queue_help")));
    out.push(...this.dueSection(element, bo));
    return out;
  };

  Panel.prototype.dueSection = function (element, bo) {
    const days = this.property(bo, "dueInWorkingDays");
    const iso = this.property(bo, "dueIn");
    const kind = days ? "days" : (iso ? "iso" : "");
    const kinds = [
      { value: "days", label: this.t("due_working_days") },
      { value: "iso", label: this.t("due_duration") },
    ];
    const out = [labelled(this.t("due_date"), select(kinds, kind, (v) => {
      if (v === "days") { this.setProperty(element, bo, "dueIn", ""); this.setProperty(element, bo, "dueInWorkingDays", "5"); }
      else if (v === "iso") { this.setProperty(element, bo, "dueInWorkingDays", ""); this.setProperty(element, bo, "dueIn", "P5D"); }
      else { this.setProperty(element, bo, "dueInWorkingDays", ""); this.setProperty(element, bo, "dueIn", ""); }
    }, this.t("no_due_date")))];
    if (kind === "days") {
      out.push(labelled(this.t("working_days"), h("input", {
        type: "number", min: "0", step: "1", value: days,
        onchange: (e) => this.setProperty(element, bo, "dueInWorkingDays", e.target.value),
      })));
    } else if (kind === "iso") {
      const presets = ["PT4H", "P1D", "P2D", "P5D", "P1W", "P2W", "P1M"].map((v) => ({ value: v, label: v }));
      out.push(labelled(this.t("duration"), select(presets, iso, (v) => this.setProperty(element, bo, "dueIn", v)),
        this.t("duration_help")));
    }
    return out;
  };

  Panel.prototype.serviceTaskSection = function (element, bo) {
    const current = this.findExtension(bo, "spiffworkflow:ServiceTaskOperator");
    const operators = this.catalog.operators.map((o) => ({ value: o.name, label: o.name }));
    const out = [labelled(this.t("operator"), select(operators, current ? current.id : "", (name) => {
      const ext = this.extensions(element, bo);
      const values = (ext.values || []).filter((v) => v.$type !== "spiffworkflow:ServiceTaskOperator");
      if (name) {
        const params = this.moddle.create("spiffworkflow:Parameters", { values: [] });
        const operator = this.moddle.create("spiffworkflow:ServiceTaskOperator", {
          id: name, resultVariable: current ? current.resultVariable : undefined, parameterList: params,
        });
        values.push(operator);
      }
      this.modeling.updateModdleProperties(element, ext, { values: values });
    }, this.t("choose")))];
    if (!current) return out;
    const operator = this.catalog.operators.find((o) => o.name === current.id);
    if (operator && operator.description) out.push(h("p", { class: "designer-help", text: operator.description }));
    out.push(labelled(this.t("result_variable"), h("input", {
      type: "text", value: current.resultVariable || "", pattern: "[A-Za-z_][A-Za-z0-9_]*",
      onchange: (e) => this.modeling.updateModdleProperties(element, current, { resultVariable: e.target.value || undefined }),
    })));
    (operator ? operator.params : []).forEach((param) => {
      const list = current.parameterList;
      const existing = list && (list.values || []).find((p) => p.id === param.name);
      out.push(labelled(param.name + " (" + param.type + ")" + (param.required ? " *" : ""), h("input", {
        type: "text", value: existing ? existing.value : "", "data-param": param.name,
        onchange: (e) => this.setParameter(element, current, param, e.target.value),
      }), param.description || this.t("parameter_help")));
    });
    return out;
  };

  Panel.prototype.setParameter = function (element, operator, param, value) {
    value = value.trim();
    let list = operator.parameterList;
    if (!list) {
      list = this.moddle.create("spiffworkflow:Parameters", { values: [] });
      this.modeling.updateModdleProperties(element, operator, { parameterList: list });
    }
    const existing = (list.values || []).find((p) => p.id === param.name);
    if (!value) {
      if (existing) this.modeling.updateModdleProperties(element, list, { values: list.values.filter((p) => p !== existing) });
    } else if (existing) {
      this.modeling.updateModdleProperties(element, existing, { value: value });
    } else {
      const created = this.moddle.create("spiffworkflow:Parameter", { id: param.name, type: param.type, value: value });
      this.modeling.updateModdleProperties(element, list, { values: (list.values || []).concat([created]) });
    }
  };

  Panel.prototype.scriptSection = function (element, bo) {
    return [labelled(this.t("script"), h("textarea", {
      rows: "8", spellcheck: "false", class: "designer-code",
      onchange: (e) => this.modeling.updateProperties(element, { scriptFormat: "python", script: e.target.value }),
    }, [document.createTextNode(bo.script || "")]), this.t("script_help"))];
  };

  Panel.prototype.flowSection = function (element, bo) {
    const source = bo.sourceRef;
    if (!source || !["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway"].includes(source.$type)) return [];
    const gateway = this.modeler.get("elementRegistry").get(source.id);
    const isDefault = source.default === bo;
    const out = [h("div", { class: "designer-field designer-field--check" }, [
      h("input", {
        type: "checkbox", id: "designer-default-flow", checked: isDefault,
        onchange: (e) => this.modeling.updateProperties(gateway, { default: e.target.checked ? bo : undefined }),
      }),
      h("label", { for: "designer-default-flow", text: this.t("default_flow") }),
    ])];
    if (!isDefault) {
      const condition = bo.conditionExpression ? bo.conditionExpression.body : "";
      out.push(labelled(this.t("condition"), h("textarea", {
        rows: "3", spellcheck: "false", class: "designer-code",
        onchange: (e) => {
          const text = e.target.value.trim();
          const expression = text ? this.moddle.create("bpmn:FormalExpression", { body: text }) : undefined;
          this.modeling.updateProperties(element, { conditionExpression: expression });
        },
      }, [document.createTextNode(condition || "")]), this.t("condition_help")));
    }
    return out;
  };

  Panel.prototype.milestoneSection = function (element, bo) {
    const type = this.dossierType();
    const types = this.catalog.dossier_types.filter((d) => !type || d.code === type);
    const options = types.map((d) => ({
      group: d.name, options: d.phases.map((p) => ({ value: p.code, label: p.name })),
    }));
    return [labelled(this.t("phase"), select(options, this.property(bo, "phase"),
      (v) => this.setProperty(element, bo, "phase", v), this.t("not_a_milestone")), this.t("phase_help"))];
  };

  Panel.prototype.timerSection = function (element, definition) {
    const kind = ["timeDuration", "timeDate", "timeCycle"].find((k) => definition[k]) || "timeDuration";
    const value = definition[kind] ? definition[kind].body : "";
    const write = (newKind, newValue) => {
      const props = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
      props[newKind] = this.moddle.create("bpmn:FormalExpression", { body: newValue });
      this.modeling.updateModdleProperties(element, definition, props);
    };
    const kinds = [
      { value: "timeDuration", label: this.t("timer_duration") },
      { value: "timeDate", label: this.t("timer_date") },
      { value: "timeCycle", label: this.t("timer_cycle") },
    ];
    const examples = { timeDuration: '"P5D"', timeDate: '"2026-12-31T09:00:00+01:00"', timeCycle: '"R3/P1D"' };
    return [
      labelled(this.t("timer"), select(kinds, kind, (k) => write(k, examples[k]))),
      labelled(this.t("timer_value"), h("input", {
        type: "text", value: value, class: "designer-code", onchange: (e) => write(kind, e.target.value),
      }), this.t("timer_help") + " " + examples[kind]),
    ];
  };

  Panel.prototype.messageSection = function (element, definition) {
    const definitions = this.modeler.getDefinitions();
    const messages = (definitions.rootElements || []).filter((r) => r.$type === "bpmn:Message");
    const options = messages.map((m) => ({ value: m.id, label: m.name || m.id }));
    const current = definition.messageRef ? definition.messageRef.id : "";
    const input = h("input", { type: "text", pattern: "[A-Za-z0-9_.\\-]+" });
    return [
      labelled(this.t("message"), select(options, current, (id) => {
        const message = messages.find((m) => m.id === id);
        this.modeling.updateModdleProperties(element, definition, { messageRef: message || undefined });
      }, this.t("choose"))),
      labelled(this.t("new_message"), input, this.t("new_message_help")),
      h("button", { type: "button", class: "button", text: this.t("add_message"), onclick: () => {
        const name = input.value.trim();
        if (!name) return;
        const existing = messages.find((m) => m.name === name);
        const message = existing || this.moddle.create("bpmn:Message", {
          id: "Message_" + name.replace(/[^A-Za-z0-9_]/g, "_"), name: name,
        });
        if (!existing) {
          this.modeling.updateModdleProperties(element, definitions, {
            rootElements: (definitions.rootElements || []).concat([message]),
          });
        }
        this.modeling.updateModdleProperties(element, definition, { messageRef: message });
      } }),
    ];
  };

  NS.Panel = Panel;
  NS.h = h;
})();
