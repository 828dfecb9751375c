// GLUE's official TSV files (glue_data/<TASK>/{train,dev,test}.tsv) -> Hugging Face-style records.
// Read like TFDS/Hugging Face do (csv, tab-delimited, QUOTE_NONE): split on tabs, quotes are text.
// Header layouts (test files have an index column and no label):
//   MRPC  train/dev: Quality  #1 ID  #2 ID  #1 String  #2 String   test: index  #1 ID  #2 ID  #1 String  #2 String
//   QQP   train/dev: id  qid1  qid2  question1  question2  is_duplicate   test: id  question1  question2
//   SST-2 train/dev: sentence  label                                   test: index  sentence
import { TaskDataError } from "./errors.ts";

interface TsvLayout {
  /** record field -> TSV column */
  text: Readonly<Record<string, string>>;
  label: string;
  /** column holding the record id when present; otherwise the 0-based row number is the id */
  id: string;
}

const LAYOUTS: Readonly<Record<string, TsvLayout>> = {
  mrpc: { text: { sentence1: "#1 String", sentence2: "#2 String" }, label: "Quality", id: "index" },
  qqp: { text: { question1: "question1", question2: "question2" }, label: "is_duplicate", id: "id" },
  sst2: { text: { sentence: "sentence" }, label: "label", id: "index" },
};

export interface TsvRecord {
  record: Record<string, string | number | undefined>;
  line: number;
}

/** Parse one GLUE TSV file's text into records ready for `TaskDef.format`. */
export function parseGlueTsv(task: string, file: string, content: string, requireLabel: boolean): TsvRecord[] {
  const layout = LAYOUTS[task];
  if (!layout) throw new TaskDataError(`${file}: no GLUE TSV layout for task "${task}" (known: ${Object.keys(LAYOUTS).join(", ")})`);
  const lines = content.replace(/^\uFEFF/, "").split(/\r?\n/);
  const header = lines[0]!.split("\t");
  const col = (name: string) => header.indexOf(name);
  for (const c of Object.values(layout.text)) {
    if (col(c) < 0) throw new TaskDataError(`${file}:1: missing column "${c}" (header has: ${header.join(", ")})`);
  }
  const labelCol = col(layout.label);
  if (labelCol < 0 && requireLabel) {
    throw new TaskDataError(`${file}:1: missing label column "${layout.label}" (header has: ${header.join(", ")})`);
  }
  const idCol = col(layout.id);
  const out: TsvRecord[] = [];
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i]!;
    if (text === "") continue; // csv readers skip blank lines (and the final newline)
    const line = i + 1;
    const cells = text.split("\t");
    if (cells.length !== header.length) {
      throw new TaskDataError(
        `${file}:${line}: expected ${header.length} tab-separated columns (${header.join(", ")}), got ${cells.length}`,
      );
    }
    let label: number | undefined;
    if (labelCol >= 0) {
      const v = cells[labelCol]!;
      if (v !== "0" && v !== "1") throw new TaskDataError(`${file}:${line}: column "${layout.label}": expected 0 or 1, got ${JSON.stringify(v)}`);
      label = Number(v);
    }
    const record: Record<string, string | number | undefined> = { idx: idCol >= 0 ? cells[idCol]! : out.length, label };
    for (const [field, c] of Object.entries(layout.text)) record[field] = cells[col(c)]!;
    out.push({ record, line });
  }
  return out;
}
