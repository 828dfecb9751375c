import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCheckpoint, T5Tokenizer } from "@ptune/t5";
import { parseCommandArgs, type Io } from "../command.ts";
import { command } from "./models-init.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "ptune-cli-init-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(argv: string[]) {
  const out: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => out.push(l), json: argv.includes("--json") };
  const code = await command.run(parseCommandArgs(command, argv), io);
  return { code, out };
}

describe("ptune models init", () => {
  it("writes a loadable random checkpoint whose tokenizer knows the synthetic task's words", async () => {
    const dir = path.join(tmp, "nano");
    const { code, out } = await run([dir, "--preset", "t5-nano", "--seed", "4", "--json"]);
    expect(code).toBe(0);
    const r = JSON.parse(out[0]);
    expect(r).toMatchObject({ ok: true, preset: "t5-nano", seed: 4, dtype: "F32" });
    expect(r.note).toMatch(/not a scientific result/);
    const ck = openCheckpoint(dir);
    expect(ck.config.d_model).toBe(32);
    ck.close();
    const tok = T5Tokenizer.fromDir(dir);
    expect(tok.encode("sentence: cat", { addEos: false }).length).toBe(2);
    const human = await run([path.join(tmp, "h"), "--preset", "t5-nano"]);
    expect(human.out.join("\n")).toMatch(/wrote random T5 't5-nano' \(seed 0, F32\)[\s\S]*not a scientific result/);
  });

  it("refuses bad arguments and existing checkpoints with one clear line", async () => {
    await expect(run([path.join(tmp, "x"), "--preset", "giant"])).rejects.toThrow(/unknown --preset 'giant'; expected one of t5-nano/);
    await expect(run([path.join(tmp, "x"), "--seed", "1.5"])).rejects.toThrow(/--seed must be a non-negative integer/);
    await expect(run([path.join(tmp, "x"), "--dtype", "int8"])).rejects.toThrow(/--dtype must be one of F32, F16, BF16/);
    await expect(run([])).rejects.toThrow(/expected one output directory/);
    const dir = path.join(tmp, "existing");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "config.json"), "{}");
    await expect(run([dir])).rejects.toThrow(/already holds a checkpoint; pass --force/);
  });
});
