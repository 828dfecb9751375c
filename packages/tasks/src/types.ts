// The shapes every task shares. The trainer only sees `Example`s and `TaskDef.score`.

export type Split = "train" | "validation" | "test";

/** One text-to-text pair, plus what evaluation needs to score a prediction for it. */
export interface Example {
  /** Unique within a split (e.g. SuperGLUE `idx`, MultiRC `paragraph-question-answer`). */
  id: string;
  /** Model input text, formatted exactly as T5's preprocessors do (task-name prefix dropped). */
  input: string;
  /** Training target text. `<unk>` for unlabelled (test) records, as T5 does. */
  target: string;
  /** Evaluation group: the question for MultiRC exact match, the query for ReCoRD. */
  group?: string;
  /** Every acceptable answer (ReCoRD, SQuAD): scoring takes the max over these. */
  answers?: string[];
  /** Gold class label string; absent for unlabelled (test) records. For WSC: "True" when
   *  the target referent is the pronoun's antecedent. */
  label?: string;
}

export interface FormatOptions {
  /** Some tasks differ by split, as in T5: WSC trains only on correct referents. */
  split?: Split;
}

/** Which on-disk layouts a task's loader understands (besides Hugging Face Parquet). */
export type SourceKind = "superglue" | "glue" | "squad" | "mrqa" | "synthetic";

export interface TaskDef {
  name: string;
  source: SourceKind;
  /** The closed set of target strings of a classification task, in class-index order (used for
   *  class-label prompt init and rank classification). Absent when targets are free text
   *  (WSC referents, ReCoRD entities, SQuAD answers). */
  labels?: readonly string[];
  /** Keys `score` returns. */
  metrics: readonly string[];
  /** The key of `score`'s result used for early stopping / model selection. */
  primaryMetric: string;
  /** One raw record (official JSONL line, HF row, ...) -> its examples. Throws RecordError. */
  format(raw: unknown, opts?: FormatOptions): Example[];
  /** Official metrics on a 0-100 scale; predictions[i] answers examples[i]. */
  score(predictions: readonly string[], examples: readonly Example[]): Record<string, number>;
}
