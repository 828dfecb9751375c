// Argument and environment errors of submit/worker/cancel/retry: one clear line, the right exit
// code, before any server is contacted.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CliError, parseCommandArgs, type Command, type Io } from "../command.ts";
import { command as cancel } from "./cancel.ts";
import { command as retry } from "./retry.ts";
import { command as submit } from "./submit.ts";
import { command as worker } from "./worker.ts";

const io: Io = { out: () => undefined, err: () => undefined, json: false };
const run = (c: Command, argv: string[]) => c.run(parseCommandArgs(c, argv), io);
const saved = { DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL };
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe("queue commands", () => {
  it("reject bad arguments with exit code 2", async () => {
    await expect(run(submit, [])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/expected one sweep file/) });
    await expect(run(worker, [])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--sizes is required/) });
    await expect(run(worker, ["--sizes", "a", "--device", "tpu"])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--device must be cpu or cuda/) });
    await expect(run(worker, ["--sizes", "a", "--concurrency", "0"])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--concurrency must be an integer >= 1/) });
    await expect(run(retry, ["s"])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--failed/) });
    await expect(run(cancel, [])).rejects.toBeInstanceOf(CliError);
  });

  it("submit names the missing variable and the --local alternative", async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "ptune-cli-q-")), "s.yaml");
    writeFileSync(file, "name: s\nmodels:\n  m: { checkpoint: /x, gpu_memory_gb: 1 }\ngrid: { model: m, task: synthetic }\n");
    process.env.DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/nowhere";
    delete process.env.REDIS_URL;
    await expect(run(submit, [file])).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/REDIS_URL is not set .*--local/) });
    writeFileSync(file, "name: s\nmodels: {}\n");
    await expect(run(submit, [file])).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/s\.yaml:\d+:\d+/) });
  });
});
