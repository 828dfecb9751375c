// exitBySignal ends a process whose sandbox thread is inside an onnxruntime-node call as killed
// by the signal (what a shell reports as 128 + n). process.exit() there aborted the process
// instead ("terminate called after throwing an instance of 'Napi::Error'", SIGABRT, exit 134) in
// 29 of 30 runs of this same child: the second Ctrl-C of `ptune run` and the worker's second
// signal used it.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Graph, ops, saveModel } from "@ptune/onnx";
import { afterAll, expect, it } from "vitest";

const dir = mkdtempSync(path.join(tmpdir(), "ptune-exit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const main = fileURLToPath(new URL("./fixtures/exit/main.mjs", import.meta.url));

function model(): string {
  const g = new Graph("busy");
  const a = g.input("a", "float32", [512, 512]);
  const b = g.input("b", "float32", [512, 512]);
  let x = ops.matmul(a, b);
  for (let i = 0; i < 8; i++) x = ops.matmul(x, b);
  g.output(x, "c");
  return saveModel(g, path.join(dir, "busy.onnx"));
}

const run = (file: string, sig: string) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [main, file, sig], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });

it("ends the process by the signal itself while a thread is inside onnxruntime, every time", async () => {
  const file = model();
  for (const sig of ["SIGINT", "SIGTERM", "SIGINT"] as const) {
    const r = await run(file, sig);
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: null, signal: sig });
  }
}, 120_000);
