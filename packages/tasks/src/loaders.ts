// loadSplit: find a task's split in a directory, read it, validate each record and format it.
// Layouts understood (the official one first, then a Hugging Face datasets Parquet export):
//   SuperGLUE  <dir>/{train,val,test}.jsonl           (as in the official <Task>.zip)
//   GLUE       <dir>/{train,dev,test}.tsv             (as in glue_data/<TASK>/)
//   SQuAD      <dir>/{train,dev}[-*].json             (e.g. train-v1.1.json, dev-v1.1.json; MRQA converted)
//   MRQA       <dir>/{train,dev}.jsonl[.gz]           (official MRQA 2019 files; usually given as a file)
//   Parquet    <dir>/<split>.parquet, <split>-*.parquet, *-<split>.parquet or <split>/*.parquet,
//              split = train|validation|test (every layout the hub's exports use, see parquetFiles)
// A `hf:datasets/...` reference is resolved to such a directory by @ptune/t5's resolveDatasetRef.
// `dir` may also name one file directly (its extension picks the reader).
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { formatPath, RecordError, TaskDataError } from "./errors.ts";
import { parseGlueTsv } from "./glue-tsv.ts";
import { getTask } from "./registry.ts";
import { flattenSquad, squadFileSchema } from "./squad.ts";
import type { Example, Split, TaskDef } from "./types.ts";

type Kind = "jsonl" | "tsv" | "json" | "parquet";

const OFFICIAL: Record<TaskDef["source"], { kind: Kind; stems: Record<Split, string[]> } | undefined> = {
  superglue: { kind: "jsonl", stems: { train: ["train"], validation: ["val"], test: ["test"] } },
  glue: { kind: "tsv", stems: { train: ["train"], validation: ["dev"], test: ["test"] } },
  squad: { kind: "json", stems: { train: ["train"], validation: ["dev", "validation", "val"], test: ["test"] } },
  mrqa: { kind: "jsonl", stems: { train: ["train"], validation: ["dev", "validation", "val"], test: ["test"] } },
  synthetic: undefined,
};

/** The reader a file name calls for. */
function kindOf(file: string): Kind | undefined {
  if (/\.jsonl(\.gz)?$/.test(file)) return "jsonl";
  if (file.endsWith(".tsv")) return "tsv";
  if (file.endsWith(".json")) return "json";
  if (file.endsWith(".parquet")) return "parquet";
  return undefined;
}

/** Load and format one split of a task from `dir`. */
export async function loadSplit(task: string | TaskDef, dir: string, split: Split): Promise<Example[]> {
  const t = typeof task === "string" ? getTask(task) : task;
  if (t.source === "synthetic") throw new Error(`task "${t.name}" has no data files; generate it with syntheticTask()`);
  const { kind, files } = await resolveFiles(t, dir, split);
  const parts: Example[][] = [];
  for (const file of files) {
    if (kind === "jsonl") parts.push(await readJsonl(t, file, split));
    else if (kind === "tsv") parts.push(await readTsv(t, file, split));
    else if (kind === "json") parts.push(await readSquadJson(t, file, split));
    else parts.push(await readParquet(t, file, split));
  }
  // concat, not push(...part): spreading a few hundred thousand arguments overflows the stack.
  return parts.length === 1 ? parts[0]! : ([] as Example[]).concat(...parts);
}

async function resolveFiles(t: TaskDef, dir: string, split: Split): Promise<{ kind: Kind; files: string[] }> {
  let info;
  try {
    info = await stat(dir);
  } catch {
    throw new TaskDataError(`${dir}: no such file or directory (data for task "${t.name}")`);
  }
  if (info.isFile()) {
    const kind = kindOf(dir);
    if (!kind) throw new TaskDataError(`${dir}: unknown data file type; expected .jsonl, .jsonl.gz, .tsv, .json or .parquet`);
    return { kind, files: [dir] };
  }
  const names = (await readdir(dir)).sort();
  const official = OFFICIAL[t.source]!;
  const tried: string[] = [];
  for (const stem of official.stems[split]) {
    const exact = `${stem}.${official.kind}`;
    tried.push(exact);
    if (names.includes(exact)) return { kind: official.kind, files: [path.join(dir, exact)] };
    if (official.kind === "jsonl" && t.source === "mrqa") {
      tried.push(`${exact}.gz`);
      if (names.includes(`${exact}.gz`)) return { kind: "jsonl", files: [path.join(dir, `${exact}.gz`)] };
    }
    if (official.kind === "json") {
      tried.push(`${stem}-*.json`);
      const shards = names.filter((n) => n.startsWith(`${stem}-`) && n.endsWith(".json"));
      if (shards.length === 1) return { kind: "json", files: [path.join(dir, shards[0]!)] };
      if (shards.length > 1) throw new TaskDataError(`${dir}: several ${split} files (${shards.join(", ")}); point at one file instead`);
    }
  }
  const parquet = await parquetFiles(dir, names, split, tried);
  if (parquet) return { kind: "parquet", files: parquet };
  throw new TaskDataError(`${dir}: no ${split} data for task "${t.name}"; looked for ${tried.join(", ")}`);
}

/**
 * The Parquet layouts the hub's exports use, in this order (shards sorted, so -00000-of-N first):
 *   <split>.parquet                       one file
 *   <split>-00000-of-00002.parquet …      `datasets`' push_to_hub shards
 *   <name>-<split>.parquet                the parquet-converter bot (`boolq/super_glue-validation.parquet`)
 *   <split>/0000.parquet, 0001.parquet …  `refs/convert/parquet` today (`boolq/validation/0000.parquet`)
 */
async function parquetFiles(dir: string, names: string[], split: Split, tried: string[]): Promise<string[] | undefined> {
  tried.push(`${split}.parquet`, `${split}-*.parquet`, `*-${split}.parquet`, `${split}/*.parquet`);
  if (names.includes(`${split}.parquet`)) return [path.join(dir, `${split}.parquet`)];
  const shards = names.filter((n) => n.startsWith(`${split}-`) && n.endsWith(".parquet"));
  if (shards.length > 0) return shards.map((n) => path.join(dir, n));
  const converted = names.filter((n) => n.endsWith(`-${split}.parquet`));
  if (converted.length === 1) return [path.join(dir, converted[0]!)];
  if (converted.length > 1) throw new TaskDataError(`${dir}: several ${split} files (${converted.join(", ")}); point at one file instead`);
  if (names.includes(split) && (await stat(path.join(dir, split))).isDirectory()) {
    const inner = (await readdir(path.join(dir, split))).filter((n) => n.endsWith(".parquet")).sort();
    if (inner.length > 0) return inner.map((n) => path.join(dir, split, n));
  }
  return undefined;
}

/** Run `format` on one record, prefixing any error with where the record came from. */
function formatAt(t: TaskDef, raw: unknown, split: Split, where: string): Example[] {
  try {
    return t.format(raw, { split });
  } catch (e) {
    if (e instanceof RecordError) throw new TaskDataError(`${where}: ${e.message}`);
    throw e;
  }
}

async function readText(file: string): Promise<string> {
  const bytes = await readFile(file);
  const text = file.endsWith(".gz") ? gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
  return text.replace(/^\uFEFF/, "");
}

async function readJsonl(t: TaskDef, file: string, split: Split): Promise<Example[]> {
  const lines = (await readText(file)).split("\n");
  const out: Example[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === "") return;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new TaskDataError(`${file}:${i + 1}: invalid JSON (${(e as Error).message})`);
    }
    out.push(...formatAt(t, raw, split, `${file}:${i + 1}`));
  });
  return out;
}

async function readTsv(t: TaskDef, file: string, split: Split): Promise<Example[]> {
  const rows = parseGlueTsv(t.name, file, await readText(file), split !== "test");
  return rows.flatMap((r) => formatAt(t, r.record, split, `${file}:${r.line}`));
}

async function readSquadJson(t: TaskDef, file: string, split: Split): Promise<Example[]> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readText(file));
  } catch (e) {
    throw new TaskDataError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  const parsed = squadFileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TaskDataError(`${file}: field "${formatPath(issue.path)}": ${issue.message}`);
  }
  return flattenSquad(parsed.data).flatMap((row) => formatAt(t, row, split, `${file}: question ${row.id}`));
}

/** Parquet INT64 columns arrive as bigint; records want plain numbers. */
function unBigInt(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(unBigInt);
  if (v !== null && typeof v === "object" && !(v instanceof Uint8Array) && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unBigInt(x)]));
  }
  return v;
}

async function readParquet(t: TaskDef, file: string, split: Split): Promise<Example[]> {
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors });
  } catch (e) {
    throw new TaskDataError(`${file}: cannot read Parquet (${(e as Error).message})`);
  }
  return rows.flatMap((row, i) => formatAt(t, unBigInt(row), split, `${file}: row ${i}`));
}
