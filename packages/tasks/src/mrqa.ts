// MRQA 2019 out-of-domain sets (the paper's domain-shift evaluation, trained on SQuAD). The paper's
// pipeline (prompt-tuning scripts/mrqa_to_tsv.py, then preprocessors.preprocess_tsv_to_qa):
// whitespace runs -> one space; only the FIRST question of each line (qas[0]); target its first
// detected answer; evaluation answers = qas[0].answers; then T5's SQuAD formatting (padded
// punctuation, "question: Q context: C"). The same sets converted to SQuAD JSON or a Hugging Face
// squad-style Parquet are read like SQuAD.
import { z } from "zod";
import { hasKey, parseRecord } from "./errors.ts";
import { squad } from "./squad.ts";
import { padPunctuation, PY_WHITESPACE, stringJoin } from "./t5-text.ts";
import type { TaskDef } from "./types.ts";

/** One line of an official MRQA .jsonl(.gz) file (the first line is a {"header": ...}). */
const lineSchema = z.object({
  context: z.string(),
  qas: z
    .array(
      z.object({
        qid: z.union([z.string(), z.number()]),
        question: z.string(),
        answers: z.array(z.string()).min(1),
        detected_answers: z.array(z.object({ text: z.string() })).min(1),
      }),
    )
    .min(1),
});

const ws = (s: string) => s.replace(new RegExp(PY_WHITESPACE.source, "gu"), " ");

export const mrqa: TaskDef = {
  ...squad,
  name: "mrqa",
  source: "mrqa",
  format(raw, opts) {
    if (hasKey(raw, "header")) return [];
    if (!hasKey(raw, "qas")) return squad.format(raw, opts);
    const line = parseRecord(lineSchema, raw);
    const qa = line.qas[0]!;
    // Deliberately not reproduced: mrqa_to_tsv.py writes the TSV with pandas' default quoting and
    // T5 reads it with use_quote_delim=False, so a text with `"` would arrive wrapped in quotes
    // with doubled inner quotes. We keep the text as it is.
    const answers = qa.answers.map((a) => padPunctuation(ws(a)));
    return [
      {
        id: String(qa.qid),
        input: stringJoin(["question:", padPunctuation(ws(qa.question)), "context:", padPunctuation(ws(line.context))]),
        target: padPunctuation(ws(qa.detected_answers[0]!.text)),
        answers,
      },
    ];
  },
};
