// Turns zod issues into SweepProblems: position from the YAML node, the dotted path, and
// "expected <leaf description>, got <value>" (leaf descriptions live in schema.ts).
import type { z } from "zod";
import { formatPath, type SweepProblem } from "./errors.ts";
import type { YamlSource } from "./yaml-source.ts";

export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "an empty value";
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return v.length === 0 ? "an empty list" : "a list";
  if (typeof v === "object") return "a mapping";
  return String(v);
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
  }
  return v;
}

/** A problem at `path` in `src`; `key` points at the key of a mapping entry rather than its value. */
export function problemAt(src: YamlSource, path: readonly PropertyKey[], message: string, opts: { key?: boolean } = {}): SweepProblem {
  const at = src.locate(path, opts);
  return { file: src.file, line: at.line, col: at.col, path: formatPath(path), message };
}

export function issueToProblem(src: YamlSource, issue: z.core.$ZodIssue): SweepProblem {
  let path = issue.path as PropertyKey[];
  // Axis shorthand (`seed: 0`) is wrapped into a list before validation; report it unwrapped.
  if (path.length > 0 && path[path.length - 1] === 0 && !Array.isArray(valueAt(src.value, path.slice(0, -1)))) {
    path = path.slice(0, -1);
  }
  switch (issue.code) {
    case "unrecognized_keys":
      return problemAt(src, [...path, issue.keys[0]], issue.message, { key: true });
    case "invalid_key":
      // a record key failed its name schema; its own message describes the expected name
      return problemAt(src, path, `expected ${issue.issues[0]?.message ?? issue.message}, got ${JSON.stringify(String(path[path.length - 1]))}`, { key: true });
    case "custom":
      return problemAt(src, path, issue.message);
    default: {
      const value = valueAt(src.value, path);
      if (value === undefined && path.length > 0) {
        // a required key is absent: point at the mapping that should hold it
        return { ...problemAt(src, path.slice(0, -1), ""), path: formatPath(path), message: `missing; expected ${issue.message}` };
      }
      return problemAt(src, path, `expected ${issue.message}, got ${describeValue(value)}`);
    }
  }
}
