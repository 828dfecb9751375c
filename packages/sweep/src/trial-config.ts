// The stored form of one Trial (`trials.config` in the database: the Trial of types.ts as JSON),
// validated where it is read back (the worker, @ptune/queue trial-to-spec.ts). The sweep parser
// made it; the database row can still be old, hand-edited or written by another version, so every
// field the trainer and the worker read is checked, with one line naming the field.
import { z } from "zod";
import { INITS, METHODS, PRESETS, TASK_FORMATS, type Trial } from "./types.ts";

const posInt = z.int().positive();
const nonEmpty = z.string().min(1);

const TrainingSettingsSchema = z.object({
  optimizer: z.literal("adafactor"),
  lr: z.number().positive(),
  weightDecay: z.number().nonnegative(),
  decayRate: z.number().positive().max(1),
  // boolean here: the worker refuses `true` with its own message (trial-to-spec.ts)
  parameterScaling: z.boolean(),
  batchSize: posInt,
  steps: posInt,
  schedule: z.literal("constant"),
  evalEvery: posInt,
  checkpointEvery: posInt,
  maxInputLength: posInt,
  maxTargetLength: posInt,
  earlyStopping: z.object({ metric: nonEmpty.nullable(), patience: posInt.nullable() }),
});

/** Unknown keys are dropped (a newer writer's extra field does not break an older reader). */
export const TrialConfigSchema = z
  .object({
    id: nonEmpty,
    sweepName: nonEmpty,
    model: z.object({ name: nonEmpty, checkpoint: nonEmpty, gpuMemoryGb: z.number().positive(), params: z.number().nonnegative().optional(), preset: z.enum(PRESETS).optional() }),
    task: z.object({ name: nonEmpty, dataDir: nonEmpty.optional(), format: z.enum(TASK_FORMATS).optional() }),
    method: z.enum(METHODS),
    promptLength: posInt.nullable(),
    init: z.enum(INITS).nullable(),
    seed: z.int().nonnegative(),
    training: TrainingSettingsSchema,
    priority: posInt,
  })
  .superRefine((t, ctx) => {
    if (t.method === "prompt_tuning" && (t.promptLength === null || t.init === null)) {
      ctx.addIssue({ code: "custom", path: [t.promptLength === null ? "promptLength" : "init"], message: "prompt tuning needs a prompt length and an init (got null)" });
    }
  });

/** A stored trial config that is not a valid Trial. */
export class TrialConfigError extends Error {
  override readonly name = "TrialConfigError";
}

/**
 * `trials.config` of trial `trialId` as a Trial, or TrialConfigError naming the first bad field:
 * `trial abc: trials.config.training.steps: expected a positive integer, got -3`.
 */
export function parseTrialConfig(config: unknown, trialId: string): Trial {
  const r = TrialConfigSchema.safeParse(config);
  if (r.success) return r.data satisfies Trial;
  const issue = r.error.issues[0];
  const at = ["trials.config", ...issue.path.map(String)].join(".");
  let got: unknown = config;
  for (const k of issue.path) got = got !== null && typeof got === "object" ? (got as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined;
  throw new TrialConfigError(`trial ${trialId}: ${at}: ${issue.message} (got ${got === undefined ? "nothing" : JSON.stringify(got)})`);
}
