// String operations of T5's preprocessors (text-to-text-transfer-transformer t5/data/preprocessors.py),
// reproduced so our strings are byte-identical to what T5 fed the model.

/**
 * `preprocessors.glue`: join `["<benchmark>", "key1:", v1, "key2:", v2, ...]` with single spaces.
 * Followed by prompt-tuning's `remove_first_text_token` (regex `^[^ ]* `), which drops the
 * benchmark name again, so we simply never add it: "key1: v1 key2: v2".
 */
export function joinFields(fields: readonly (readonly [string, string])[]): string {
  return fields.map(([k, v]) => `${k}: ${v}`).join(" ");
}

/** prompt-tuning `remove_first_text_token`: regex `^[^ ]* ` replaced once by "". */
export function removeFirstTextToken(s: string): string {
  return s.replace(/^[^ ]* /, "");
}

// RE2 (TensorFlow's regex engine) is ASCII for \w and \s: \W = [^0-9A-Za-z_] (matched per code
// point in UTF-8 mode) and \s = [\t\n\f\r ]. JS's \s is wider, so spell the classes out.
const RE2_NON_WORD = /([^0-9A-Za-z_])/gu;
const RE2_SPACES = /[\t\n\f\r ]+/g;

// Python's `str.split()` / `re` `\s` whitespace for str (JS \s lacks \x1c-\x1f and \x85 and
// adds \ufeff).
export const PY_WHITESPACE = /[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** `_pad_punctuation`: space around every non-word character, then collapse whitespace runs. */
export function padPunctuation(text: string): string {
  return text.replace(RE2_NON_WORD, " $1 ").replace(RE2_SPACES, " ");
}

/** `_string_join`: join on a space and collapse whitespace runs (no strip, as in T5). */
export function stringJoin(parts: readonly string[]): string {
  return parts.join(" ").replace(RE2_SPACES, " ");
}

/** Python's `str` ordering (by code point); JS's default sort compares UTF-16 code units. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

/** Python `sorted(set(xs))`. */
export function sortedUnique(xs: Iterable<string>): string[] {
  return [...new Set(xs)].sort(compareCodePoints);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Python slicing `text[start:end]` (code-point indices) for texts with astral characters. */
export function codePointSlicer(text: string): (start: number, end: number) => string {
  if (!SURROGATE.test(text)) return (start, end) => text.slice(start, end);
  const cps = Array.from(text);
  return (start, end) => cps.slice(start, end).join("");
}
