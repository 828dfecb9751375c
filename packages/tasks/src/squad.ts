// SQuAD-format extractive QA (SQuAD v1.1, and the MRQA out-of-domain sets converted to it), as
// T5's preprocessors.squad formats it and the prompt-tuning paper uses it (no task prefix there):
// input "question: Q context: C", target the first answer, all answers kept for EM/F1
// (metrics.squad). Question, context and answers get T5's punctuation padding.
import { z } from "zod";
import { parseRecord } from "./errors.ts";
import { squadMetrics } from "./metrics.ts";
import { padPunctuation, stringJoin } from "./t5-text.ts";
import type { Example, TaskDef } from "./types.ts";

/** The official SQuAD JSON file: data -> paragraphs -> qas -> answers. */
export const squadFileSchema = z.object({
  data: z.array(
    z.object({
      title: z.string().optional(),
      paragraphs: z.array(
        z.object({
          context: z.string(),
          qas: z.array(
            z.object({
              id: z.union([z.string(), z.number()]),
              question: z.string(),
              answers: z.array(z.object({ text: z.string(), answer_start: z.number().int().optional() })),
            }),
          ),
        }),
      ),
    }),
  ),
});

/** One question, in the Hugging Face `squad` row layout (what the JSON loader flattens to). */
const rowSchema = z.object({
  id: z.union([z.string(), z.number()]),
  question: z.string(),
  context: z.string(),
  answers: z.object({ text: z.array(z.string()) }),
});

/** SQuAD JSON document -> Hugging Face-style rows, one per question. */
export function flattenSquad(doc: z.output<typeof squadFileSchema>): z.input<typeof rowSchema>[] {
  return doc.data.flatMap((article) =>
    article.paragraphs.flatMap((p) =>
      p.qas.map((qa) => ({
        id: qa.id,
        question: qa.question,
        context: p.context,
        answers: { text: qa.answers.map((a) => a.text) },
      })),
    ),
  );
}

export const squad: TaskDef = {
  name: "squad",
  source: "squad",
  metrics: ["em", "f1"],
  primaryMetric: "f1",
  format(raw) {
    const r = parseRecord(rowSchema, raw);
    const answers = r.answers.text.map(padPunctuation);
    const input = stringJoin(["question:", padPunctuation(r.question), "context:", padPunctuation(r.context)]);
    // A question without answers (SQuAD 2.0 "impossible") scores the empty answer, as the v2
    // evaluation script does; T5's SQuAD 1.1 task never sees one.
    const ex: Example = { id: String(r.id), input, target: answers[0] ?? "", answers: answers.length ? answers : [""] };
    return [ex];
  },
  score(predictions, examples) {
    const answers = examples.map((e) => {
      if (!e.answers) throw new Error(`cannot score example ${e.id}: it has no answers`);
      return e.answers;
    });
    return squadMetrics(answers, predictions);
  },
};
