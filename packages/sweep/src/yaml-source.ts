// A parsed YAML document that can answer "where is this path?" so that validation errors point
// at a line and column. Uses the `yaml` package's node ranges and a LineCounter.
import { LineCounter, parseDocument, visit, isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from "yaml";
import { formatPath, SweepError, type SweepProblem } from "./errors.ts";

export interface Located {
  line: number;
  col: number;
}

export class YamlSource {
  /** The document as plain data (set once the document is known to be well formed). */
  value: unknown = undefined;
  private constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** Parses `text`; YAML syntax errors and duplicate keys throw a SweepError with their position. */
  static parse(text: string, file: string): YamlSource {
    const lines = new LineCounter();
    // uniqueKeys: false so that duplicates are reported by findDuplicateKeys with the key's name and path.
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
    const src = new YamlSource(file, doc, lines);
    const problems: SweepProblem[] = doc.errors.map((e) => {
      const at = lines.linePos(e.pos[0]);
      const message =
        e.code === "MULTIPLE_DOCS"
          ? "expected one YAML document, found another after ---"
          : `YAML syntax error: ${e.message.split("\n")[0]}`;
      return { file, line: at.line, col: at.col, path: "", message };
    });
    if (problems.length === 0) problems.push(...src.findAliasErrors(), ...src.findDuplicateKeys());
    if (problems.length > 0) throw new SweepError(sortProblems(problems));
    // maxAliasCount bounds alias expansion ("billion laughs")
    try {
      src.value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      throw new SweepError([{ file, path: "", message: `YAML error: ${(e as Error).message}` }]);
    }
    return src;
  }

  /** Position of `path`; `key: true` gives the key's position in its mapping instead of the value's. */
  locate(path: readonly PropertyKey[], opts: { key?: boolean } = {}): Located {
    let node: unknown = this.doc.contents;
    let at: number | undefined = rangeStart(node);
    for (let i = 0; i < path.length; i++) {
      node = isAlias(node) ? node.resolve(this.doc) : node;
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => keyString(p.key) === String(seg));
        if (!pair) break; // missing key: report where its mapping starts
        const keyAt = rangeStart(pair.key);
        if (last && opts.key) return this.pos(keyAt ?? at ?? 0);
        node = pair.value;
        // an empty value (`init:`) has no useful range of its own: point at the key
        at = isScalar(node) && node.value === null ? (keyAt ?? at) : (rangeStart(node) ?? keyAt ?? at);
      } else if (isSeq(node) && typeof seg === "number" && seg < node.items.length) {
        node = node.items[seg];
        at = rangeStart(node) ?? at;
      } else break;
    }
    return this.pos(at ?? 0);
  }

  private pos(offset: number): Located {
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /** toJS throws on an alias without an anchor before it; report it with its position instead. */
  private findAliasErrors(): SweepProblem[] {
    const out: SweepProblem[] = [];
    visit(this.doc, {
      Alias: (_key, node) => {
        if (node.resolve(this.doc) === undefined) {
          const at = this.pos(rangeStart(node) ?? 0);
          out.push({ file: this.file, ...at, path: "", message: `YAML error: alias *${node.source} has no anchor &${node.source} before it` });
        }
      },
    });
    return out;
  }

  private findDuplicateKeys(): SweepProblem[] {
    const out: SweepProblem[] = [];
    const walk = (node: unknown, path: PropertyKey[]) => {
      if (isMap(node)) {
        const seen = new Map<string, number>();
        for (const pair of node.items) {
          const k = keyString(pair.key);
          const at = this.pos(rangeStart(pair.key) ?? 0);
          const before = seen.get(k);
          if (before !== undefined) {
            out.push({ file: this.file, ...at, path: formatPath([...path, k]), message: `duplicate key (first defined on line ${before})` });
          } else seen.set(k, at.line);
          walk(pair.value, [...path, k]);
        }
      } else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...path, i]));
    };
    walk(this.doc.contents, []);
    return out;
  }
}

function keyString(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  if (isPair(key)) return keyString(key.key);
  return String(key);
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null)?.range?.[0];
}

export function sortProblems(problems: SweepProblem[]): SweepProblem[] {
  // problems without a position (whole-file ones) come first
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
