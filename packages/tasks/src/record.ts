// ReCoRD as T5 runs it (preprocessors.record): one example per gold answer entity, input
// "query: Q entities: e1, e2 passage: P" ("record" prefix dropped), @highlight markers turned into
// sentence breaks; unlabelled queries give one example with target "<unk>". Evaluation keeps one
// example per query (metrics.deduplicate_metric) and takes EM/F1 max over the query's answers.
import { z } from "zod";
import { hasKey, parseRecord } from "./errors.ts";
import { rawId, UNLABELLED_TARGET } from "./labels.ts";
import { checkLengths, mean, squadMetrics } from "./metrics.ts";
import { codePointSlicer, sortedUnique } from "./t5-text.ts";
import type { Example, TaskDef } from "./types.ts";

// Official SuperGLUE ReCoRD.zip line: entity spans are inclusive [start, end] code-point offsets.
const span = z.object({ start: z.number().int().nonnegative(), end: z.number().int().nonnegative() });
const officialSchema = z.object({
  idx: rawId,
  passage: z.object({ text: z.string(), entities: z.array(span) }),
  qas: z.array(
    z.object({
      idx: rawId,
      query: z.string(),
      answers: z.array(span.extend({ text: z.string() })).optional(),
    }),
  ),
});

// Hugging Face super_glue/record row.
const hfSchema = z.object({
  passage: z.string(),
  query: z.string(),
  entities: z.array(z.string()),
  answers: z.array(z.string()),
  idx: z.object({ passage: rawId, query: rawId }),
});

interface Query {
  passage: string;
  query: string;
  entities: string[];
  answers: string[];
  idx: { passage: string | number; query: string | number };
}

/** The input string of preprocessors.record without its leading "record " token. */
export function recordInput(passage: string, query: string, entities: readonly string[]): string {
  const p = passage.replace(/(\.|\?|!|"|')\n@highlight\n/g, "$1 ").replace(/\n@highlight\n/g, ". ");
  return `query: ${query} entities: ${entities.join(", ")} passage: ${p}`;
}

function toExamples(q: Query): Example[] {
  const group = `${q.idx.passage}-${q.idx.query}`;
  const input = recordInput(q.passage, q.query, q.entities);
  // Unlabelled (test) queries: answers [] as TFDS/T5 give them, so every ReCoRD example has the field.
  if (q.answers.length === 0) return [{ id: `${group}-0`, group, input, target: UNLABELLED_TARGET, answers: [] }];
  return q.answers.map((a, k) => ({ id: `${group}-${k}`, group, input, target: a, answers: [...q.answers] }));
}

export const record: TaskDef = {
  name: "record",
  source: "superglue",
  metrics: ["em", "f1", "average"],
  primaryMetric: "average",
  format(raw) {
    if (hasKey(raw, "qas")) {
      const rec = parseRecord(officialSchema, raw);
      const slice = codePointSlicer(rec.passage.text);
      // TFDS _get_record_entities / _get_record_answers: sorted unique strings.
      const entities = sortedUnique(rec.passage.entities.map((e) => slice(e.start, e.end + 1)));
      return rec.qas.flatMap((qa) =>
        toExamples({
          passage: rec.passage.text,
          query: qa.query,
          entities,
          answers: sortedUnique((qa.answers ?? []).map((a) => a.text)),
          idx: { passage: rec.idx, query: qa.idx },
        }),
      );
    }
    const rec = parseRecord(hfSchema, raw);
    // Hugging Face stores the entity *set* in arbitrary order; TFDS (what T5 read) sorts it.
    return toExamples({ ...rec, entities: sortedUnique(rec.entities), answers: sortedUnique(rec.answers) });
  },
  score(predictions, examples) {
    checkLengths(examples, predictions);
    // deduplicate_metric: the first example of each query stands for the query.
    const seen = new Set<string>();
    const answers: string[][] = [];
    const preds: string[] = [];
    examples.forEach((e, i) => {
      const g = e.group ?? e.id;
      if (seen.has(g)) return;
      seen.add(g);
      if (!e.answers || e.answers.length === 0) throw new Error(`cannot score example ${e.id}: it has no answers (unlabelled test split?)`);
      answers.push(e.answers);
      preds.push(predictions[i]!);
    });
    const { em, f1 } = squadMetrics(answers, preds);
    return { em, f1, average: mean([em, f1]) };
  },
};
