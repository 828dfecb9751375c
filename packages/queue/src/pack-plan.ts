// Which trials of a sweep share a pack job (sweep `pack: K`, issue #4). A pack is up to K
// prompt-tuning trials that @ptune/trainer's runTrials can train in one batch: same model
// (checkpoint) and the same maximum input/target lengths (its packCompatibilityKey; prompt lengths,
// inits, seeds, tasks, batch sizes and learning rates may differ). They must also share a priority,
// so a pack never jumps ahead of (or behind) a trial it would otherwise wait for.
//
// Packs are cut from ALL the sweep's trials in expansion order, not only from the ones that still
// need a job, so a re-submission forms the same packs, hence the same job ids (`pack-<hash of the
// sorted trial ids>`), and BullMQ dedupes them like single-trial jobs. Trials next to each other in
// the expansion usually differ only in seed/init: packing them keeps one dev set per pack evaluation.
import { createHash } from "node:crypto";
import type { Trial } from "@ptune/sweep";
import type { QueuedTrial } from "./enqueue-jobs.ts";
import { trialJobData } from "./trial-job.ts";

/** Same hex length as a trial id (@ptune/sweep TRIAL_ID_LENGTH). */
const PACK_HASH_LENGTH = 32;

export interface PackPlan {
  /** job id: `pack-<sha256 of the sorted trial ids joined by ','>` (32 hex characters) */
  id: string;
  model: string;
  /** sorted */
  trialIds: string[];
  priority: number;
}

export interface JobPlan {
  packs: PackPlan[];
  /** trials that get a job of their own (model tuning, K = 1, a group's single leftover) */
  singles: Trial[];
}

export function packJobId(trialIds: readonly string[]): string {
  const h = createHash("sha256").update([...trialIds].sort().join(",")).digest("hex");
  return `pack-${h.slice(0, PACK_HASH_LENGTH)}`;
}

/**
 * The trials' packing group, or null when the trial trains alone. Mirrors @ptune/trainer's
 * packCompatibilityKey (method|model|max_input_length|max_target_length; a unit test keeps them in
 * step) plus the checkpoint path and the priority.
 */
export function packGroupKey(t: Trial): string | null {
  if (t.method !== "prompt_tuning") return null;
  return [t.method, t.model.name, t.training.maxInputLength, t.training.maxTargetLength, t.model.checkpoint, t.priority].join("|");
}

/** Cuts `trials` (expansion order) into packs of at most `k` compatible trials. */
export function planPacks(trials: readonly Trial[], k: number): JobPlan {
  if (!Number.isInteger(k) || k < 1) throw new Error(`planPacks: pack size must be an integer >= 1, got ${k}`);
  if (k === 1) return { packs: [], singles: [...trials] };
  const groups = new Map<string, Trial[]>();
  const singles: Trial[] = [];
  for (const t of trials) {
    const key = packGroupKey(t);
    if (key === null) singles.push(t);
    else {
      const g = groups.get(key);
      if (g) g.push(t);
      else groups.set(key, [t]);
    }
  }
  const packs: PackPlan[] = [];
  for (const g of groups.values()) {
    for (let i = 0; i < g.length; i += k) {
      const members = g.slice(i, i + k);
      if (members.length === 1) {
        singles.push(members[0]);
        continue;
      }
      const trialIds = members.map((t) => t.id).sort();
      packs.push({ id: packJobId(trialIds), model: members[0].model.name, trialIds, priority: members[0].priority });
    }
  }
  return { packs, singles };
}

/**
 * The jobs for the trials in `todo` (those that still need one) when `all` is the whole sweep: the
 * pack jobs that hold at least one of them, and single jobs for the rest. A pack job re-runs only
 * its members that are not finished (the processor skips completed/cancelled/failed ones).
 */
export function sweepJobs(sweepId: string, all: readonly Trial[], todo: readonly Trial[], k: number): QueuedTrial[] {
  const plan = planPacks(all, k);
  const need = new Set(todo.map((t) => t.id));
  const jobs: QueuedTrial[] = [];
  for (const p of plan.packs) {
    if (p.trialIds.some((id) => need.has(id))) jobs.push({ sweepId, trialId: p.id, model: p.model, trialIds: p.trialIds, priority: p.priority });
  }
  for (const t of plan.singles) if (need.has(t.id)) jobs.push(trialJobData(sweepId, t));
  return jobs;
}
