// Copies the browser files of the npm packages Guichet uses into webapp/static/vendor/.
//
// No bundler: the pages load these files with plain <script>/<link> tags. Run after `npm ci`
// (the Makefile does both). webapp/static/vendor/ is generated and gitignored; nothing from
// node_modules is ever committed.
//
//   vendor/bpmn-js/bpmn-modeler.production.min.js         the designer's modeler
//   vendor/bpmn-js/bpmn-navigated-viewer.production.min.js the instance viewer
//   vendor/bpmn-js/bpmn-viewer.production.min.js          a static viewer (thumbnails)
//   vendor/bpmn-js/assets/{bpmn-js.css,diagram-js.css,bpmn-font/}
//   vendor/htmx.min.js                                    htmx 2.x
//   vendor/chart.umd.min.js                               Chart.js 4
//   vendor/VERSIONS.json                                  which package versions were copied

import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "webapp", "static", "vendor");

const copies = [
  ["bpmn-js", "dist/bpmn-modeler.production.min.js", "bpmn-js/bpmn-modeler.production.min.js"],
  ["bpmn-js", "dist/bpmn-navigated-viewer.production.min.js", "bpmn-js/bpmn-navigated-viewer.production.min.js"],
  ["bpmn-js", "dist/bpmn-viewer.production.min.js", "bpmn-js/bpmn-viewer.production.min.js"],
  ["bpmn-js", "dist/assets/bpmn-js.css", "bpmn-js/assets/bpmn-js.css"],
  ["bpmn-js", "dist/assets/diagram-js.css", "bpmn-js/assets/diagram-js.css"],
  ["bpmn-js", "dist/assets/bpmn-font", "bpmn-js/assets/bpmn-font"],
  ["htmx.org", "dist/htmx.min.js", "htmx.min.js"],
  ["chart.js", "dist/chart.umd.min.js", "chart.umd.min.js"],
];

function version(pkg) {
  const manifest = join(modules, pkg, "package.json");
  if (!existsSync(manifest)) {
    console.error(`build-assets: ${pkg} is not installed; run \`npm ci\` first (the Makefile does).`);
    process.exit(1);
  }
  return JSON.parse(readFileSync(manifest, "utf8")).version;
}

const versions = {};
for (const [pkg] of copies) versions[pkg] = version(pkg);

const major = Number(versions["htmx.org"].split(".")[0]);
if (major !== 2) {
  console.error(`build-assets: htmx.org ${versions["htmx.org"]} found; Guichet is written for htmx 2.x.`);
  process.exit(1);
}

rmSync(vendor, { recursive: true, force: true });
for (const [pkg, from, to] of copies) {
  const source = join(modules, pkg, from);
  if (!existsSync(source)) {
    console.error(`build-assets: ${pkg}@${versions[pkg]} has no ${from}`);
    process.exit(1);
  }
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true });
}
writeFileSync(join(vendor, "VERSIONS.json"), JSON.stringify(versions, null, 2) + "\n");
console.log(`build-assets: ${Object.entries(versions).map(([p, v]) => `${p}@${v}`).join(", ")} -> webapp/static/vendor/`);
