import { describe, expect, it } from "vitest";
import { MAX_PRIORITY, sanitizeQueueName, trialJobOptions } from "./routing.ts";

describe("trialJobOptions", () => {
  it("uses the trial hash as job id, keeps failed jobs, backs off exponentially", () => {
    const o = trialJobOptions("abc", 5, { attempts: 4, backoffMs: 100, keepCompleted: 10 });
    expect(o).toEqual({ jobId: "abc", priority: 5, attempts: 4, backoff: { type: "exponential", delay: 100 }, removeOnComplete: { count: 10 }, removeOnFail: false });
  });
  it("clamps the sweep's 'runs last' priority (2^21) to BullMQ's limit and rejects nonsense", () => {
    expect(trialJobOptions("a", 2 ** 21).priority).toBe(MAX_PRIORITY);
    expect(trialJobOptions("a", 0).priority).toBeUndefined();
    expect(() => trialJobOptions("a", 1.5)).toThrow(/trial a: priority/);
  });
  it("sanitizes queue names (BullMQ forbids ':')", () => {
    expect(sanitizeQueueName("ptune:t5 small")).toBe("ptune-t5-small");
    expect(() => sanitizeQueueName("  ")).toThrow();
  });
});
