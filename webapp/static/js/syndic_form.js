// The syndic mandate request form (templates/syndic/_form.html): shows only the groups the case
// needs. Natural-person fields or company fields by the syndic's kind; for a company, whether the
// decision names a representative and, if not, whether the company holds its own IPI
// accreditation decide the representative case (engine/syndic/rules.py says the same):
//   named -> the named representative; not named + IPI -> none; not named, no IPI -> an
//   accredited representative with the IPI number. Hidden inputs are disabled so they are not
// sent. Without this script every group shows; the server validates whatever is sent.
(function () {
  "use strict";
  function checked(form, name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }
  function representativeCase(form) {
    if (checked(form, "syndic_kind") !== "legal") { return "not_applicable"; }
    var named = checked(form, "decision_names_representative");
    if (named === "true") { return "named"; }
    if (named !== "false") { return ""; }
    var ipi = checked(form, "company_has_ipi");
    if (ipi === "true") { return "company_accredited"; }
    return ipi === "false" ? "accredited_required" : "";
  }
  function matches(element, attribute, value) {
    var wanted = element.getAttribute(attribute);
    return wanted === null || wanted.split(" ").indexOf(value) !== -1;
  }
  function update(form) {
    var state = {
      "data-when-syndic": checked(form, "syndic_kind"),
      "data-when-named": checked(form, "decision_names_representative"),
      "data-when-case": representativeCase(form)
    };
    form.setAttribute("data-case", state["data-when-case"]);
    form.querySelectorAll("[data-when-syndic], [data-when-named], [data-when-case]").forEach(function (element) {
      var show = Object.keys(state).every(function (attribute) {
        return matches(element, attribute, state[attribute]);
      });
      element.hidden = !show;
    });
    form.querySelectorAll("input, select, textarea").forEach(function (input) {
      if (input.type === "hidden") { return; }
      input.disabled = Boolean(input.closest("[hidden]"));
    });
  }
  function start() {
    var form = document.getElementById("mandate-form");
    if (!form) { return; }
    form.addEventListener("change", function () { update(form); });
    update(form);
    form.setAttribute("data-ready", "1");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
