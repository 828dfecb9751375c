// classifyFailure decides whether an error spends an attempt: errors as they arrive on the main
// thread from the sandbox (plain objects with name/message/code copied: BullMQ errorToJSON).
import { describe, expect, it } from "vitest";
import { backoffDelay, classifyFailure, failureMessage } from "./failure.ts";

const fromSandbox = (e: Error & { code?: string }) => Object.assign(new Error(), JSON.parse(JSON.stringify({ name: e.name, message: e.message, code: e.code })));

describe("classifyFailure", () => {
  it("infrastructure: Postgres/Redis unreachable, restarting, reset (issue 10: these spent 3 attempts in 16 s)", () => {
    expect(classifyFailure(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe("infrastructure");
    expect(classifyFailure(fromSandbox(Object.assign(new Error("the database system is starting up"), { code: "57P03" })))).toBe("infrastructure");
    expect(classifyFailure({ message: "terminating connection due to administrator command", code: "57P01" })).toBe("infrastructure");
    expect(classifyFailure({ message: "read ECONNRESET" })).toBe("infrastructure");
    expect(classifyFailure({ message: "Connection terminated unexpectedly" })).toBe("infrastructure");
    expect(classifyFailure({ message: "Connection is closed." })).toBe("infrastructure");
    expect(classifyFailure(new AggregateError([Object.assign(new Error("connect ECONNREFUSED ::1:5432"), { code: "ECONNREFUSED" })], ""))).toBe("infrastructure");
    expect(classifyFailure({ name: "DriverAdapterError", message: "x", cause: { code: "08006", message: "connection failure" } })).toBe("infrastructure");
  });
  it("input: deterministic problems of the trial's inputs fail at once", () => {
    for (const name of ["T5ConfigError", "CheckpointError", "SafetensorsError", "TokenizerError", "RecordError", "TaskDataError", "ModelTooLargeError", "UnsupportedSettingError"]) {
      expect(classifyFailure(fromSandbox(Object.assign(new Error("bad"), { name })))).toBe("input");
    }
    expect(classifyFailure(new RangeError("Invalid typed array length: 12800000000"))).toBe("input");
    expect(classifyFailure(Object.assign(new Error("ENOENT: no such file or directory, open '/x/config.json'"), { code: "ENOENT" }))).toBe("input");
    // PyTorch checkpoints and hf: references (@ptune/t5): a refused pickle, a damaged zip, an offline cache miss
    for (const name of ["TorchFormatError", "PickleError", "ZipError", "HubError", "SweepError"]) {
      expect(classifyFailure(fromSandbox(Object.assign(new Error("bad"), { name })))).toBe("input");
    }
  });
  it("hub: unreachable or a server error is infrastructure, a 404 or 401 is input", () => {
    const hub = (message: string) => fromSandbox(Object.assign(new Error(message), { name: "HubError" }));
    expect(classifyFailure(hub("hf:google/t5-base-lm-adapt: config.json: cannot reach https://huggingface.co (ENOTFOUND); set HF_HUB_OFFLINE=1 to use only the local cache"))).toBe("infrastructure");
    expect(classifyFailure(hub("hf:google/t5-base-lm-adapt: config.json: HTTP 503 Service Unavailable"))).toBe("infrastructure");
    expect(classifyFailure(hub("hf:google/t5-base-lm-adapt: config.json: HTTP 404, repository not found"))).toBe("input");
    expect(classifyFailure(hub("hf:google/t5-base-lm-adapt: HTTP 401 (GatedRepo) — the repository is private or gated; accept its terms on the hub and set HF_TOKEN"))).toBe("input");
  });
  it("trainer: anything else keeps BullMQ's attempts", () => {
    expect(classifyFailure(new Error("something odd in the trainer"))).toBe("trainer");
    expect(classifyFailure(new TypeError("x is not a function"))).toBe("trainer");
    expect(classifyFailure(undefined)).toBe("trainer");
  });
  it("messages and the capped exponential backoff", () => {
    expect(failureMessage(Object.assign(new Error("bad shape"), { name: "CheckpointError" }))).toBe("CheckpointError: bad shape");
    expect(failureMessage(new AggregateError([new Error("connect ECONNREFUSED ::1:6379")], ""))).toContain("ECONNREFUSED");
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(n))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
});
