// `ptune check-parity` end to end on the tiny fixture: exit 0 within tolerance, 1 beyond it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureModel, goldenFile } from "../../../../tooling/test-env.ts";
import { parseCommandArgs, type Io } from "../command.ts";
import { command } from "./check-parity.ts";

const cacheDir = mkdtempSync(path.join(tmpdir(), "ptune-cli-parity-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

async function run(argv: string[]) {
  const lines: string[] = [];
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), json: argv.includes("--json") };
  const code = await command.run(parseCommandArgs(command, argv), io);
  return { code, lines };
}

describe("ptune check-parity", () => {
  it("prints a table and exits 0 within tolerance", async () => {
    const { code, lines } = await run([fixtureModel("v1_0"), goldenFile("v1_0"), "--cache-dir", cacheDir]);
    expect(code).toBe(0);
    expect(lines.find((l) => l.startsWith("grad_prompt"))).toMatch(/ok$/);
    expect(lines.find((l) => l.startsWith("adafactor_prompt_after_step3"))).toMatch(/ok$/);
    expect(lines.at(-1)).toMatch(/^all 14 checked keys within atol 0.0001 \/ rtol 0.001/);
  });
  it("exits 1 beyond tolerance, with JSON rows", async () => {
    const { code, lines } = await run([fixtureModel("v1_0"), goldenFile("v1_0"), "--atol", "0", "--rtol", "0", "--json", "--cache-dir", cacheDir]);
    expect(code).toBe(1);
    const out = JSON.parse(lines[0]);
    expect(out.ok).toBe(false);
    expect(out.rows.find((r: { key: string }) => r.key === "greedy_ids").ok).toBe(true);
  });
  it("rejects a bad tolerance as a usage error", async () => {
    await expect(run([fixtureModel("v1_0"), goldenFile("v1_0"), "--atol", "abc"])).rejects.toThrow(/--atol must be a non-negative number/);
  });
});
