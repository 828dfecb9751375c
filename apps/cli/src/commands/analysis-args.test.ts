// Argument errors of ensemble / neighbours / export / import: one clear line, exit code 2, before
// any database is opened.
import { describe, expect, it } from "vitest";
import { parseCommandArgs, type Command, type Io } from "../command.ts";
import { command as ensemble } from "./ensemble.ts";
import { command as exportCmd } from "./export.ts";
import { command as importCmd } from "./import.ts";
import { command as neighbours } from "./neighbours.ts";

const io: Io = { out: () => undefined, err: () => undefined, json: false };
const run = (c: Command, argv: string[]) => c.run(parseCommandArgs(c, argv), io);

describe("analysis command arguments", () => {
  it("reject what they cannot use with exit code 2", async () => {
    await expect(run(ensemble, [])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/expected one sweep/) });
    await expect(run(ensemble, ["s", "--task", "rte"])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--model and --task are required/) });
    await expect(run(ensemble, ["s", "--model", "m", "--task", "rte", "--k", "two"])).rejects.toMatchObject({ exitCode: 2, message: "--k: expected an integer >= 1, got 'two'" });
    await expect(run(ensemble, ["s", "--model", "m", "--task", "rte", "--prompt-length", "0"])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--prompt-length: expected an integer >= 1/) });
    await expect(run(ensemble, ["s", "--model", "m", "--task", "rte", "--device", "tpu"])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--device: expected cpu or cuda/) });
    await expect(run(neighbours, [])).rejects.toMatchObject({ exitCode: 2 });
    await expect(run(neighbours, ["t", "--k", "1.5"])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--k: expected an integer/) });
    await expect(run(exportCmd, ["t", "--format", "npy"])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--out is required/) });
    await expect(run(exportCmd, ["t", "--out", "x"])).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--format: expected peft or npy, got ''/) });
    await expect(run(importCmd, [])).rejects.toMatchObject({ exitCode: 2 });
    await expect(run(importCmd, ["/nonexistent/prompt.npy"])).rejects.toMatchObject({ exitCode: 1, message: "/nonexistent/prompt.npy: no such file or directory" });
  });
});
