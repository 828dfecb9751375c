// ptune run's progress: the sweep ETA, and the plain / JSON forms (the terminal form is checked
// through a real pseudo-terminal in commands/local-home.int.test.ts).
import { describe, expect, it } from "vitest";
import type { TrialProgress } from "@ptune/db";
import type { Io } from "./command.ts";
import { progressView } from "./progress-view.ts";
import { sweepEtaSeconds, sweepLine, type SweepSnapshot } from "./render.ts";

const trial = (over: Partial<TrialProgress>): TrialProgress => ({
  trialId: "t", model: "nano", task: "synthetic", method: "prompt_tuning", promptLength: 4, init: "random_uniform", seed: 0,
  step: 0, total: 100, loss: 1.5, examplesPerSec: 10, batchSize: 4, etaSeconds: null, ...over,
});

describe("sweep ETA", () => {
  it("is the steps left over the running trials' summed rate", () => {
    // rates: 50 steps / 10 s = 5/s and 80 steps / 40 s = 2/s -> 7 steps/s
    const running = [trial({ step: 50, etaSeconds: 10 }), trial({ step: 20, etaSeconds: 40 })];
    // left: 50 + 80 running, plus 3 queued trials of a typical 100 steps
    expect(sweepEtaSeconds(running, 3)).toBeCloseTo((50 + 80 + 300) / 7, 9);
  });
  it("is unknown until a running trial has a rate", () => {
    expect(sweepEtaSeconds([], 4)).toBeNull();
    expect(sweepEtaSeconds([trial({ etaSeconds: null })], 1)).toBeNull();
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
