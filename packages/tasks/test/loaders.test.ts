// Loader behaviour on real files in temp dirs: Hugging Face Parquet exports (written here with
// hyparquet-writer using the HF schemas), sharded splits, and the error messages for bad data.
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSplit, TaskDataError } from "../src/index.ts";
import { fixture } from "./fixtures.ts";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "ptune-tasks-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function dirWith(name: string, files: Record<string, string | Uint8Array | ArrayBuffer>): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) {
    await writeFile(path.join(dir, f), content instanceof ArrayBuffer ? new Uint8Array(content) : content);
  }
  return dir;
}

const str = (name: string) => ({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" }) as const;
const int = (name: string, type: "INT32" | "INT64") => ({ name, type, repetition_type: "OPTIONAL" }) as const;

describe("Hugging Face Parquet exports", () => {
  it("super_glue/boolq {question, passage, idx, label}, sharded validation-*.parquet, INT64 labels", async () => {
    const shard = (rows: { question: string; passage: string; idx: number; label: bigint }[]) =>
      parquetWriteBuffer({
        columnData: [
          { name: "question", data: rows.map((r) => r.question) },
          { name: "passage", data: rows.map((r) => r.passage) },
          { name: "idx", data: rows.map((r) => r.idx) },
          { name: "label", data: rows.map((r) => r.label) },
        ],
        schema: [{ name: "schema", num_children: 4 }, str("question"), str("passage"), int("idx", "INT32"), int("label", "INT64")],
      });
    const dir = await dirWith("boolq", {
      "validation-00000-of-00002.parquet": shard([
        {
          question: "is windows movie maker part of windows essentials",
          passage:
            "Windows Movie Maker -- Windows Movie Maker (formerly known as Windows Live Movie Maker in Windows 7) is a discontinued video editing software by Microsoft.",
          idx: 0,
          label: 1n,
        },
      ]),
      "validation-00001-of-00002.parquet": shard([
        {
          question: "is confectionary sugar the same as powdered sugar",
          passage: "Powdered sugar -- Powdered sugar, also called confectioners' sugar, is a finely ground sugar.",
          idx: 1,
          label: 0n,
        },
      ]),
      "test-00000-of-00001.parquet": shard([{ question: "q", passage: "p", idx: 0, label: -1n }]),
    });
    // Same examples as the official JSONL of the same records.
    const fromJsonl = await loadSplit("boolq", fixture("superglue", "BoolQ"), "validation");
    expect(await loadSplit("boolq", dir, "validation")).toEqual(fromJsonl);
    expect(await loadSplit("boolq", dir, "test")).toEqual([{ id: "0", input: "passage: p question: q", target: "<unk>" }]);

    // The same records in the hub's other layouts load the same examples.
    const [a, b] = [await readFile(path.join(dir, "validation-00000-of-00002.parquet")), await readFile(path.join(dir, "validation-00001-of-00002.parquet"))];
    const converter = await dirWith("boolq-converter", { "super_glue-validation.parquet": shard([]), "super_glue-train.parquet": a });
    await writeFile(path.join(converter, "super_glue-validation.parquet"), a);
    expect(await loadSplit("boolq", converter, "validation")).toEqual(fromJsonl.slice(0, 1));
    const refsConvert = await dirWith("boolq-refs-convert", {});
    await mkdir(path.join(refsConvert, "validation"));
    await writeFile(path.join(refsConvert, "validation", "0000.parquet"), a);
    await writeFile(path.join(refsConvert, "validation", "0001.parquet"), b);
    expect(await loadSplit("boolq", refsConvert, "validation")).toEqual(fromJsonl);
    await expect(loadSplit("boolq", refsConvert, "train")).rejects.toThrow(/no train data for task "boolq"; looked for train.jsonl, train.parquet, train-\*.parquet, \*-train.parquet, train\/\*.parquet/);
  });

  it("super_glue/multirc (struct idx) and record (list entities in set order) match the official JSONL", async () => {
    const para = "<b>Sent 1: </b>Alice went home.<br><b>Sent 2: </b>She ate soup.<br>";
    const multirc = parquetWriteBuffer({
      columnData: [
        { name: "paragraph", data: [para, para, para] },
        { name: "question", data: ["Where did Alice go?", "Where did Alice go?", "What did she eat?"] },
        { name: "answer", data: ["Home", "School", "Soup"] },
        {
          name: "idx",
          data: [
            { paragraph: 0, question: 0, answer: 0 },
            { paragraph: 0, question: 0, answer: 1 },
            { paragraph: 0, question: 1, answer: 2 },
          ],
        },
        { name: "label", data: [1n, 0n, 1n] },
      ],
      schema: [
        { name: "schema", num_children: 5 },
        str("paragraph"),
        str("question"),
        str("answer"),
        { name: "idx", repetition_type: "OPTIONAL", num_children: 3 },
        int("paragraph", "INT32"),
        int("question", "INT32"),
        int("answer", "INT32"),
        int("label", "INT64"),
      ],
    });
    const mdir = await dirWith("multirc", { "validation.parquet": multirc });
    expect(await loadSplit("multirc", mdir, "validation")).toEqual(await loadSplit("multirc", fixture("superglue", "MultiRC"), "validation"));

    const list = (name: string) =>
      [
        { name, repetition_type: "OPTIONAL", num_children: 1, converted_type: "LIST" },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        { name: "element", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
      ] as const;
    const record = parquetWriteBuffer({
      columnData: [
        { name: "passage", data: ["Bob Smith won the race in Paris.\n@highlight\nSmith was fast\n@highlight\nParis cheered"] },
        { name: "query", data: ["@placeholder won the race"] },
        { name: "entities", data: [["Smith", "Paris", "Bob Smith"]] },
        { name: "answers", data: [["Bob Smith", "Smith"]] },
        { name: "idx", data: [{ passage: 0, query: 0 }] },
      ],
      schema: [
        { name: "schema", num_children: 5 },
        str("passage"),
        str("query"),
        ...list("entities"),
        ...list("answers"),
        { name: "idx", repetition_type: "OPTIONAL", num_children: 2 },
        int("passage", "INT32"),
        int("query", "INT32"),
      ],
    });
    const rdir = await dirWith("record", { "validation.parquet": record });
    const official = await loadSplit("record", fixture("superglue", "ReCoRD"), "validation");
    expect(await loadSplit("record", rdir, "validation")).toEqual(official.slice(0, 2));
  });

  it("squad (answers: struct of lists) matches the official JSON", async () => {
    const context = "Super Bowl 50 was played on February 7, 2016, at Levi's Stadium in Santa Clara, California.";
    const buf = parquetWriteBuffer({
      columnData: [
        { name: "id", data: ["56be4db0acb8001400a502ec", "56be4db0acb8001400a502ed"] },
        { name: "title", data: ["Super_Bowl_50", "Super_Bowl_50"] },
        { name: "context", data: [context, context] },
        { name: "question", data: ["Where was Super Bowl 50 played?", "When was Super Bowl 50?"] },
        {
          name: "answers",
          data: [
            { text: ["Levi's Stadium", "Santa Clara, California"], answer_start: [49, 67] },
            { text: ["February 7, 2016"], answer_start: [28] },
          ],
        },
      ],
      schema: [
        { name: "schema", num_children: 5 },
        str("id"),
        str("title"),
        str("context"),
        str("question"),
        { name: "answers", repetition_type: "OPTIONAL", num_children: 2 },
        { name: "text", repetition_type: "OPTIONAL", num_children: 1, converted_type: "LIST" },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        { name: "element", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
        { name: "answer_start", repetition_type: "OPTIONAL", num_children: 1, converted_type: "LIST" },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        { name: "element", type: "INT32", repetition_type: "OPTIONAL" },
      ],
    });
    const dir = await dirWith("squad", { "validation-00000-of-00001.parquet": buf });
    expect(await loadSplit("squad", dir, "validation")).toEqual(await loadSplit("squad", fixture("squad"), "validation"));
  });

  it("a bad Parquet row names the file, the row and the field", async () => {
    const buf = parquetWriteBuffer({
      columnData: [
        { name: "sentence", data: ["good movie", "bad movie"] },
        { name: "label", data: [1n, 7n] },
        { name: "idx", data: [0, 1] },
      ],
      schema: [{ name: "schema", num_children: 3 }, str("sentence"), int("label", "INT64"), int("idx", "INT32")],
    });
    const dir = await dirWith("sst2-bad", { "train.parquet": buf });
    await expect(loadSplit("sst2", dir, "train")).rejects.toThrow(
      `${path.join(dir, "train.parquet")}: row 1: field "label": expected one of negative|positive`,
    );
  });
});

describe("compressed and directory layouts", () => {
  it("MRQA dev.jsonl.gz in a directory", async () => {
    const plain = await readFile(fixture("mrqa", "TextbookQA.jsonl"));
    const dir = await dirWith("mrqa-gz", { "dev.jsonl.gz": gzipSync(plain) });
    expect(await loadSplit("mrqa", dir, "validation")).toEqual(await loadSplit("mrqa", fixture("mrqa", "TextbookQA.jsonl"), "validation"));
  });
});

describe("large splits", () => {
  it("loads a QQP-sized split (more examples than a spread call can take)", async () => {
    const n = 150_000; // V8 overflows from ~125k spread arguments
    const rows = Array.from({ length: n }, (_, i) => `w${i % 7} \t${i % 2}`).join("\n");
    const dir = await dirWith("sst2-big", { "train.tsv": `sentence\tlabel\n${rows}\n` });
    const ex = await loadSplit("sst2", dir, "train");
    expect(ex.length).toBe(n);
    expect(ex[n - 1]).toEqual({ id: String(n - 1), input: `sentence: w${(n - 1) % 7} `, target: "positive", label: "positive" });
  });
});

describe("errors name the file, the line and the field", () => {
  it("JSONL: missing field, wrong type, bad label, invalid JSON", async () => {
    const dir = await dirWith("rte-bad", {
      "val.jsonl": [
        JSON.stringify({ premise: "p", hypothesis: "h", label: "entailment", idx: 0 }),
        "",
        JSON.stringify({ premise: "p", label: "entailment", idx: 1 }),
      ].join("\n"),
      "train.jsonl": JSON.stringify({ premise: "p", hypothesis: "h", label: "maybe", idx: 0 }) + "\n",
      "test.jsonl": "{not json\n",
    });
    const file = (f: string) => path.join(dir, f);
    await expect(loadSplit("rte", dir, "validation")).rejects.toThrow(`${file("val.jsonl")}:3: field "hypothesis": Invalid input: expected string, received undefined`);
    await expect(loadSplit("rte", dir, "train")).rejects.toThrow(`${file("train.jsonl")}:1: field "label": expected one of entailment|not_entailment`);
    await expect(loadSplit("rte", dir, "test")).rejects.toThrow(new RegExp(`^${file("test.jsonl")}:1: invalid JSON`));
  });

  it("nested fields get their full path", async () => {
    const bad = { idx: 0, passage: { text: "t", questions: [{ idx: 0, question: "q", answers: [{ idx: 0, label: 1 }] }] } };
    const dir = await dirWith("multirc-bad", { "val.jsonl": JSON.stringify(bad) + "\n" });
    const err = await loadSplit("multirc", dir, "validation").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskDataError);
    expect((err as Error).message).toBe(
      `${path.join(dir, "val.jsonl")}:1: field "passage.questions[0].answers[0].text": Invalid input: expected string, received undefined`,
    );
  });

  it("TSV: missing column, wrong column count, bad label", async () => {
    const dir = await dirWith("sst-bad", {
      "train.tsv": "text\tlabel\nfine\t1\n",
      "dev.tsv": "sentence\tlabel\nfine\t1\ntoo\tmany\tcells\n",
      "test.tsv": "sentence\tlabel\nfine\tyes\n",
    });
    const file = (f: string) => path.join(dir, f);
    await expect(loadSplit("sst2", dir, "train")).rejects.toThrow(`${file("train.tsv")}:1: missing column "sentence" (header has: text, label)`);
    await expect(loadSplit("sst2", dir, "validation")).rejects.toThrow(`${file("dev.tsv")}:3: expected 2 tab-separated columns (sentence, label), got 3`);
    await expect(loadSplit("sst2", dir, "test")).rejects.toThrow(`${file("test.tsv")}:2: column "label": expected 0 or 1, got "yes"`);
  });

  it("SQuAD JSON: the path inside the document", async () => {
    const doc = { data: [{ title: "t", paragraphs: [{ context: "c", qas: [{ id: "1", question: "q", answers: [{ answer_start: 0 }] }] }] }] };
    const dir = await dirWith("squad-bad", { "dev-v1.1.json": JSON.stringify(doc) });
    await expect(loadSplit("squad", dir, "validation")).rejects.toThrow(
      `${path.join(dir, "dev-v1.1.json")}: field "data[0].paragraphs[0].qas[0].answers[0].text": Invalid input: expected string, received undefined`,
    );
  });

  it("a missing split lists what was looked for", async () => {
    await expect(loadSplit("boolq", fixture("superglue", "BoolQ"), "train")).rejects.toThrow(
      /no train data for task "boolq"; looked for train.jsonl, train.parquet, train-\*.parquet, \*-train.parquet, train\/\*.parquet/,
    );
    await expect(loadSplit("boolq", path.join(tmp, "nowhere"), "train")).rejects.toThrow(/no such file or directory/);
    await expect(loadSplit("synthetic", tmp, "train")).rejects.toThrow(/syntheticTask\(\)/);
  });
});
