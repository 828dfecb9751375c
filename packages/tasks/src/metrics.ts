// Official metrics, following t5/evaluation/metrics.py and qa_utils.py. Every score is 0-100.
// Predictions are compared as strings: a prediction that is not a valid label string counts as
// wrong (T5's postprocessors map it to class -1).
import { PY_WHITESPACE } from "./t5-text.ts";

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** metrics.accuracy: 100 * fraction of predictions equal to the gold label. */
export function accuracy(golds: readonly string[], preds: readonly string[]): number {
  checkLengths(golds, preds);
  return 100 * mean(golds.map((g, i) => (preds[i] === g ? 1 : 0)));
}

/**
 * metrics.f1_score_with_invalid: binary F1 of the positive class. A prediction that is neither
 * label is turned into the wrong class (1 - target). Zero denominators give 0, like sklearn.
 */
export function binaryF1WithInvalid(
  golds: readonly string[],
  preds: readonly string[],
  negative: string,
  positive: string,
): number {
  checkLengths(golds, preds);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  golds.forEach((g, i) => {
    const gold = g === positive;
    const p = preds[i];
    const pred = p === positive ? true : p === negative ? false : !gold;
    if (pred && gold) tp++;
    else if (pred && !gold) fp++;
    else if (!pred && gold) fn++;
  });
  return f1FromCounts(tp, fp, fn);
}

/**
 * metrics.mean_multiclass_f1 (sklearn fbeta_score, beta=1, labels=range(n), average="macro"):
 * unweighted mean of per-class F1. An invalid prediction is a false negative of the gold class
 * and a false positive of no class; a class never predicted has F1 0.
 */
export function macroF1(golds: readonly string[], preds: readonly string[], labels: readonly string[]): number {
  checkLengths(golds, preds);
  const perClass = labels.map((c) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    golds.forEach((g, i) => {
      const p = preds[i];
      if (p === c && g === c) tp++;
      else if (p === c) fp++;
      else if (g === c) fn++;
    });
    return f1FromCounts(tp, fp, fn);
  });
  return mean(perClass);
}

function f1FromCounts(tp: number, fp: number, fn: number): number {
  const denom = 2 * tp + fp + fn;
  return denom === 0 ? 0 : (100 * 2 * tp) / denom;
}

/**
 * metrics.mean_group_metric(metrics.all_match): per group, 100 if every prediction equals its
 * gold label, else 0; then the mean over groups (MultiRC exact match, grouped by question).
 */
export function groupExactMatch(
  golds: readonly string[],
  preds: readonly string[],
  groups: readonly string[],
): number {
  checkLengths(golds, preds);
  const allMatch = new Map<string, boolean>();
  golds.forEach((g, i) => {
    const key = groups[i]!;
    allMatch.set(key, (allMatch.get(key) ?? true) && preds[i] === g);
  });
  return 100 * mean([...allMatch.values()].map((m) => (m ? 1 : 0)));
}

// ---- SQuAD-style QA (qa_utils.py) ----

// Python's string.punctuation.
const PUNCTUATION = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
// Python `re` word characters for str patterns are Unicode letters, digits and "_", so `\b` is a
// Unicode word boundary; JS's \b is ASCII-only, hence the explicit look-arounds.
const ARTICLES = /(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])/gu;

function pySplit(s: string): string[] {
  return s.split(PY_WHITESPACE).filter((w) => w.length > 0);
}

/** qa_utils.normalize_squad: lowercase, drop punctuation, articles -> " ", collapse whitespace. */
export function normalizeSquad(text: string): string {
  let s = text.toLowerCase();
  s = Array.from(s, (ch) => (PUNCTUATION.has(ch) ? "" : ch)).join("");
  s = s.replace(ARTICLES, " ");
  return pySplit(s).join(" ");
}

function tokenF1(target: string, prediction: string): number {
  const p = prediction.split(" ").filter((w) => w.length > 0);
  const t = target.split(" ").filter((w) => w.length > 0);
  const counts = new Map<string, number>();
  for (const w of t) counts.set(w, (counts.get(w) ?? 0) + 1);
  let same = 0;
  for (const w of p) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      same++;
      counts.set(w, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / p.length;
  const recall = same / t.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * metrics.squad: normalise targets and predictions, then EM and token F1 maximised over each
 * question's answers, averaged over questions, times 100.
 */
export function squadMetrics(
  answers: readonly (readonly string[])[],
  preds: readonly string[],
): { em: number; f1: number } {
  checkLengths(answers, preds);
  const em: number[] = [];
  const f1: number[] = [];
  answers.forEach((golds, i) => {
    if (golds.length === 0) throw new Error(`squadMetrics: example ${i} has no answers`);
    const p = normalizeSquad(preds[i]!);
    const ts = golds.map(normalizeSquad);
    em.push(Math.max(...ts.map((t) => (t === p ? 1 : 0))));
    f1.push(Math.max(...ts.map((t) => tokenF1(t, p))));
  });
  return { em: 100 * mean(em), f1: 100 * mean(f1) };
}

export function checkLengths(a: readonly unknown[], b: readonly unknown[]): void {
  if (a.length !== b.length) {
    throw new Error(`metric: ${b.length} predictions for ${a.length} examples; expected one per example`);
  }
}
