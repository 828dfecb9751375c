// ptune run's progress: the sweep ETA, and the plain / JSON forms (the terminal form is checked
// through a real pseudo-terminal in commands/local-home.int.test.ts).
import { describe, expect, it } from "vitest";
import type { TrialProgress } from "@ptune/db";
import type { Io } from "./command.ts";
import { progressView } from "./progress-view.ts";
import { sweepEtaSeconds, sweepLine, trialsDone, type SweepSnapshot } from "./render.ts";

const trial = (over: Partial<TrialProgress>): TrialProgress => ({
  trialId: "t", model: "nano", task: "synthetic", method: "prompt_tuning", promptLength: 4, init: "random_uniform", seed: 0,
  step: 0, total: 100, loss: 1.5, examplesPerSec: 10, batchSize: 4, etaSeconds: null, ...over,
});

describe("sweep ETA", () => {
  it("is the work left over the wall-clock rate since the first sample", () => {
    // 1 finished trial + half of one running: 1.5 trials of 4 done
    const running = [trial({ step: 50, total: 100 })];
    expect(trialsDone(1, running)).toBe(1.5);
    // 0.5 trials' worth in 10 s -> 0.05 trials/s; 2.5 trials left -> 50 s
    expect(sweepEtaSeconds({ at: 0, done: 1 }, { at: 10_000, done: 1.5 }, 4)).toBeCloseTo(50, 9);
  });
  it("is unknown until some progress has been seen", () => {
    expect(sweepEtaSeconds({ at: 0, done: 1 }, { at: 5_000, done: 1 }, 4)).toBeNull();
    expect(sweepEtaSeconds({ at: 0, done: 0 }, { at: 0, done: 0 }, 4)).toBeNull();
  });
});

const snap: SweepSnapshot = { done: 1, total: 4, failed: 0, queued: 2, running: [trial({ step: 50, etaSeconds: 10 })], elapsedSeconds: 65, etaSeconds: 95 };

function collect(json: boolean): { io: Io; lines: string[] } {
  const lines: string[] = [];
  return { io: { out: (l) => lines.push(l), err: (l) => lines.push(`err: ${l}`), json }, lines };
}

describe("progress view", () => {
  it("prints one plain summary line per update when stdout is not a terminal", () => {
    const { io, lines } = collect(false);
    const v = progressView(io, { isTTY: false } as NodeJS.WriteStream);
    v.update(snap);
    v.update({ ...snap, done: 2 });
    v.done();
    expect(lines).toEqual([sweepLine(snap), sweepLine({ ...snap, done: 2 })]);
    expect(lines[0]).toBe("[#####...............]  25% 1/4 trials finished (0 failed), 1 running, 2 queued, 1m05s elapsed, ETA 1m35s");
  });
  it("prints one JSON object per update with --json", () => {
    const { io, lines } = collect(true);
    progressView(io).update(snap);
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ event: "progress", ...snap }]);
  });
});
