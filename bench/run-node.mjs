// Runs one benchmark program on node (V8) through node:wasi, for the harness:
//   node bench/run-node.mjs PROGRAM.wasm SIZE REPS
// Each repetition compiles, instantiates with a fresh WASI context whose
// stdout is a temporary file, and times only wasi.start(). Prints one line
// "@@RESULT@@{json}" with the times (seconds) and the program outputs, the
// same shape as the harness's Python workers.
import { readFileSync, openSync, closeSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { WASI } from "node:wasi";

const [wasmPath, size, repsArg] = process.argv.slice(2);
const reps = Number(repsArg || 1);
const name = basename(wasmPath, ".wasm");
const bytes = readFileSync(wasmPath);
const dir = mkdtempSync(join(tmpdir(), "ember-bench-"));
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const result = { compile: [], instantiate: [], run: [], outputs: [] };

try {
  for (let rep = 0; rep < reps; rep++) {
    const outPath = join(dir, `out${rep}.txt`);
    const fd = openSync(outPath, "w");
    let t0 = process.hrtime.bigint();
    const module = await WebAssembly.compile(bytes);
    result.compile.push(seconds(t0));
    t0 = process.hrtime.bigint();
    const wasi = new WASI({ version: "preview1", args: [name, size], env: {},
                            stdout: fd, returnOnExit: true });
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
    result.instantiate.push(seconds(t0));
    t0 = process.hrtime.bigint();
    const status = wasi.start(instance);
    result.run.push(seconds(t0));
    closeSync(fd);
    if (status !== 0 && status !== undefined) throw new Error(`${name} exited with status ${status}`);
    result.outputs.push(readFileSync(outPath, "utf8"));
  }
} catch (e) {
  result.error = String(e && e.message ? e.message : e);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write("\n@@RESULT@@" + JSON.stringify(result) + "\n");
