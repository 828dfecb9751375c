// MultiRC as T5 runs it: one example per answer option (TFDS super_glue flattens the official
// passage -> questions -> answers nesting), input "question: Q answer: A paragraph: P" (T5's
// feature_names order, HTML markup stripped), target False|True. Metrics: F1 over all answer
// options (f1a) and exact match per question (t5/data/glue_utils.py SUPERGLUE_METRICS).
import { z } from "zod";
import { goldLabels } from "./classification.ts";
import { hasKey, parseRecord } from "./errors.ts";
import { BOOL_LABELS, rawId, rawLabel, resolveLabel, UNLABELLED_TARGET } from "./labels.ts";
import { binaryF1WithInvalid, groupExactMatch, mean } from "./metrics.ts";
import { joinFields } from "./t5-text.ts";
import type { Example, TaskDef } from "./types.ts";

// Official SuperGLUE MultiRC.zip line.
const officialSchema = z.object({
  idx: rawId,
  passage: z.object({
    text: z.string(),
    questions: z.array(
      z.object({
        idx: rawId,
        question: z.string(),
        answers: z.array(z.object({ idx: rawId, text: z.string(), label: rawLabel })),
      }),
    ),
  }),
});

// Hugging Face super_glue/multirc row (already one row per answer).
const hfSchema = z.object({
  paragraph: z.string(),
  question: z.string(),
  answer: z.string(),
  idx: z.object({ paragraph: rawId, question: rawId, answer: rawId }),
  label: rawLabel,
});

interface FlatAnswer {
  paragraph: string;
  question: string;
  answer: string;
  idx: { paragraph: string | number; question: string | number; answer: string | number };
  label: string | undefined;
}

/** preprocessors.glue for benchmark "multirc": join, then drop `<br>` and `<b>`/`</b>` markup. */
export function multircInput(question: string, answer: string, paragraph: string): string {
  const joined = joinFields([
    ["question", question],
    ["answer", answer],
    ["paragraph", paragraph],
  ]);
  return joined.replace(/<br>/g, " ").replace(/<(\/)?b>/g, "");
}

function toExample(a: FlatAnswer): Example {
  const { paragraph: p, question: q, answer: ans } = a.idx;
  return {
    id: `${p}-${q}-${ans}`,
    // T5 groups by idx/question; prefixing the paragraph keeps groups distinct even if a source
    // numbers questions per paragraph (SuperGLUE numbers them globally, so nothing changes there).
    group: `${p}-${q}`,
    input: multircInput(a.question, a.answer, a.paragraph),
    target: a.label ?? UNLABELLED_TARGET,
    ...(a.label !== undefined && { label: a.label }),
  };
}

export const multirc: TaskDef = {
  name: "multirc",
  source: "superglue",
  labels: BOOL_LABELS,
  metrics: ["f1", "exact_match", "average"],
  primaryMetric: "average",
  format(raw) {
    if (hasKey(raw, "passage")) {
      const rec = parseRecord(officialSchema, raw);
      return rec.passage.questions.flatMap((q, qi) =>
        q.answers.map((a, ai) =>
          toExample({
            paragraph: rec.passage.text,
            question: q.question,
            answer: a.text,
            idx: { paragraph: rec.idx, question: q.idx, answer: a.idx },
            // TFDS: label = bool(answer["label"]).
            label: resolveLabel(a.label, BOOL_LABELS, `passage.questions[${qi}].answers[${ai}].label`),
          }),
        ),
      );
    }
    const rec = parseRecord(hfSchema, raw);
    return [toExample({ ...rec, label: resolveLabel(rec.label, BOOL_LABELS) })];
  },
  score(predictions, examples) {
    const golds = goldLabels(examples);
    const f1 = binaryF1WithInvalid(golds, predictions, "False", "True");
    const em = groupExactMatch(
      golds,
      predictions,
      examples.map((e) => e.group ?? e.id),
    );
    return { f1, exact_match: em, average: mean([f1, em]) };
  },
};
