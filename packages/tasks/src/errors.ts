// Errors that point at the exact record and field that is wrong.
import type { z } from "zod";

/** A record failed validation or formatting; `field` is a dotted path inside the record. */
export class RecordError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(field ? `field "${field}": ${detail}` : detail);
    this.name = "RecordError";
  }
}

/** A data file problem: message names the file, the line/row when known, and the field. */
export class TaskDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TaskDataError";
  }
}

/** `a.b[2].c` from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** Whether `raw` is an object with key `key` (how formats tell an official record from an HF row). */
export function hasKey(raw: unknown, key: string): raw is Record<string, unknown> {
  return typeof raw === "object" && raw !== null && key in raw;
}

/** Parse with a zod schema, turning the first issue into one RecordError. */
export function parseRecord<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new RecordError(formatPath(issue.path), issue.message);
}
