// Trial identity. The id is the sha256 of a canonical JSON (keys sorted, no whitespace, undefined
// omitted) of the fields that decide what a run computes. Left out on purpose:
//   - the sweep name, so the same trial in two overlapping sweeps has one id (resubmitting dedupes);
//   - priority, gpuMemoryGb, params and preset: scheduling hints and metadata, not results.
// The model's resolved (absolute) checkpoint path participates: the same sweep file pointing at a
// different checkpoint directory is a different trial, and so is the same checkpoint at another path.
import { createHash } from "node:crypto";
import type { Trial } from "./types.ts";

/** Bump when the identity fields or their meaning change (old ids then stop matching). */
export const TRIAL_IDENTITY_VERSION = 1;
/** Hex characters kept from the sha256 (128 bits). */
export const TRIAL_ID_LENGTH = 32;

/**
 * Deterministic JSON: object keys sorted at every depth, undefined members dropped, no whitespace.
 * The JSON of a deeply frozen object is cached (it cannot change): expandSweep shares frozen
 * model/task/training objects between trials, so each is serialised once per sweep, not per trial.
 */
export function canonicalJson(value: unknown): string {
  return encode(value)[0];
}

const frozenJson = new WeakMap<object, string>();

/** [json, deeply frozen?] */
function encode(value: unknown): [string, boolean] {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new Error(`canonicalJson: ${value} has no JSON form`);
    return [JSON.stringify(value), true];
  }
  const cached = frozenJson.get(value);
  if (cached !== undefined) return [cached, true];
  let frozen = Object.isFrozen(value);
  let json: string;
  if (Array.isArray(value)) {
    const parts = value.map((v) => {
      const [j, f] = encode(v === undefined ? null : v);
      frozen &&= f;
      return j;
    });
    json = `[${parts.join(",")}]`;
  } else {
    const parts: string[] = [];
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      const [j, f] = encode(v);
      frozen &&= f;
      parts.push(`${JSON.stringify(k)}:${j}`);
    }
    json = `{${parts.join(",")}}`;
  }
  if (frozen) frozenJson.set(value, json);
  return [json, frozen];
}

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export type TrialConfig = Omit<Trial, "id">;

/** The fields of a trial that take part in its identity. */
export function trialIdentity(t: TrialConfig | Trial) {
  return {
    v: TRIAL_IDENTITY_VERSION,
    model: { name: t.model.name, checkpoint: t.model.checkpoint },
    task: { name: t.task.name, dataDir: t.task.dataDir, format: t.task.format },
    method: t.method,
    promptLength: t.method === "model_tuning" ? null : (t.promptLength ?? null),
    init: t.method === "model_tuning" ? null : (t.init ?? null),
    seed: t.seed,
    training: t.training,
  };
}

/** sha256 (first 32 hex characters) of the canonical JSON of `trialIdentity(config)`. */
export function trialHash(config: TrialConfig | Trial): string {
  return createHash("sha256").update(canonicalJson(trialIdentity(config))).digest("hex").slice(0, TRIAL_ID_LENGTH);
}
