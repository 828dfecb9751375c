// The sweep's baseline configuration (docs/sweep-format.md, `baseline`): what Figure 1 draws
// prompt tuning at and what Figure 3 holds fixed. One rule, used by the parser (from the grid)
// and by @ptune/report for sweeps stored without a spec (from the trials' values).
import type { Baseline } from "./types.ts";

/** Lester et al. 2021, Section 3: "prompt length 100 ... class label initialization" (Figure 1). */
export const PAPER_BASELINE = { promptLength: 100, init: "class_label" } as const;

function pick<T>(values: readonly T[], explicit: T | undefined, paper: T): T | null {
  if (explicit !== undefined) return explicit;
  const distinct = [...new Set(values)];
  if (distinct.length === 1) return distinct[0]!; // a single value: nothing to choose
  return distinct.includes(paper) ? paper : null;
}

/**
 * Per axis: the explicit `baseline:` value; else the axis' only value; else the paper's default
 * when the axis has it; else null (no baseline on that axis).
 */
export function resolveBaseline(
  values: { promptLength: readonly number[]; init: readonly string[] },
  explicit: { promptLength?: number; init?: string } = {},
): { promptLength: number | null; init: string | null } {
  return {
    promptLength: pick(values.promptLength, explicit.promptLength, PAPER_BASELINE.promptLength),
    init: pick(values.init, explicit.init, PAPER_BASELINE.init),
  };
}

/** "prompt length 100, class_label init" (what figure subtitles say); null axes are left out. */
export function describeBaseline(b: { promptLength: number | null; init: string | null }): string {
  return [b.promptLength != null ? `prompt length ${b.promptLength}` : "", b.init != null ? `${b.init} init` : ""].filter(Boolean).join(", ");
}

export type { Baseline };
