// `make bench`: runs every benchmark in test/bench and services/*/test/bench, one after another (they
// measure the machine, so never two at once), each with its own defaults; `make bench BENCH=<substring>`
// runs only the files whose path contains it. A failing benchmark is reported and the rest still run;
// the exit code says whether all of them finished.
import { spawnSync } from "node:child_process";
import { globSync } from "node:fs";

const only = process.env["BENCH"] ?? "";
const files = globSync(["test/bench/*.bench.ts", "services/*/test/bench/*.bench.ts"])
  .filter((f) => f.includes(only))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches BENCH=${only}`);
  process.exit(2);
}
const failed: string[] = [];
for (const file of files) {
  console.log(`\n=== ${file}`);
  const run = spawnSync(process.execPath, [file], { stdio: "inherit" });
  if (run.status !== 0) failed.push(`${file} (exit ${run.status ?? run.signal})`);
}
if (failed.length > 0) {
  console.error(`\nbenchmarks that did not finish:\n  ${failed.join("\n  ")}`);
  process.exit(1);
}
