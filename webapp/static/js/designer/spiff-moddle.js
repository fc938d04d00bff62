// The spiffworkflow extension elements Guichet's engine reads (engine/workflow/specs.py), described
// for bpmn-js's moddle so the panel can create them and the modeler writes them back as
//   <spiffworkflow:properties><spiffworkflow:property name="formKey" value="..."/></spiffworkflow:properties>
//   <spiffworkflow:serviceTaskOperator id="bce.lookup" resultVariable="company">
//     <spiffworkflow:parameters><spiffworkflow:parameter id="number" type="str" value="enterprise_number"/>
//   </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>
(function () {
  "use strict";
  const attr = (name) => ({ name: name, type: "String", isAttr: true });
  window.GuichetDesigner = window.GuichetDesigner || {};
  window.GuichetDesigner.spiffModdle = {
    name: "SpiffWorkflow",
    uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    prefix: "spiffworkflow",
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      { name: "Properties", superClass: ["Element"], properties: [{ name: "values", type: "Property", isMany: true }] },
      { name: "Property", properties: [attr("name"), attr("value")] },
      {
        name: "ServiceTaskOperator",
        superClass: ["Element"],
        properties: [attr("id"), attr("resultVariable"), { name: "parameterList", type: "Parameters" }],
      },
      { name: "Parameters", properties: [{ name: "values", type: "Parameter", isMany: true }] },
      { name: "Parameter", properties: [attr("id"), attr("type"), attr("value")] },
    ],
  };
})();
