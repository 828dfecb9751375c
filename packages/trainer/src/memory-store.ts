// In-process TrialStore / TrialSink: for local runs, benchmarks and tests. The store keeps each
// state SERIALISED (as @ptune/db does), so resuming from it exercises the same bytes path.
import { deserializeTrainState, serializeTrainState, type TrainState } from "./train-state.ts";
import type { TrialSink, TrialStore } from "./trial/types.ts";

export interface MemoryStore extends TrialStore {
  saves: { step: number; best: boolean; bytes: Uint8Array }[];
  bestState(): TrainState | null;
}

export function createMemoryStore(initial?: TrainState): MemoryStore {
  const saves: MemoryStore["saves"] = initial ? [{ step: initial.step, best: false, bytes: serializeTrainState(initial) }] : [];
  return {
    saves,
    async latest() {
      const last = saves.at(-1);
      return last ? deserializeTrainState(last.bytes) : null;
    },
    async save(s, o) {
      saves.push({ step: s.step, best: o.best, bytes: serializeTrainState(s) });
    },
    bestState() {
      const b = saves.filter((s) => s.best).at(-1);
      return b ? deserializeTrainState(b.bytes) : null;
    },
  };
}

export interface MemorySink extends TrialSink {
  rows: { step: number; name: string; value: number }[];
  evaluations: { split: string; step: number; metrics: Record<string, number> }[];
  stepCalls: number;
}

export function createMemorySink(): MemorySink {
  const sink: MemorySink = {
    rows: [],
    evaluations: [],
    stepCalls: 0,
    async steps(rows) {
      sink.stepCalls += 1;
      sink.rows.push(...rows);
    },
    async evaluation(e) {
      sink.evaluations.push(e);
    },
  };
  return sink;
}
