// One error class for everything wrong with a sweep file. Its message lists every problem found,
// one per line, earliest in the file first: `file:line:col: path: what was expected, got what`.
// A problem that has no place in the file (the file is missing, the grid is too large) carries no
// position and prints as `file: path: message`, never a made-up `file:1:1`.

export interface SweepProblem {
  file: string;
  /** 1-based; absent when the problem has no position in the file. */
  line?: number;
  /** 1-based; absent when the problem has no position in the file. */
  col?: number;
  /** Dotted path into the document, e.g. `grid.init[1]`; "" for the document itself. */
  path: string;
  /** What is wrong, without the position prefix. */
  message: string;
}

export function formatProblem(p: SweepProblem): string {
  const at = p.line !== undefined ? `${p.file}:${p.line}:${p.col ?? 1}` : p.file;
  return `${at}: ${p.path ? `${p.path}: ` : ""}${p.message}`;
}

export class SweepError extends Error {
  override readonly name = "SweepError";
  /** Every problem found, earliest in the file first; `message` is all of them, one per line. */
  readonly problems: SweepProblem[];

  constructor(problems: SweepProblem[]) {
    if (problems.length === 0) throw new Error("SweepError needs at least one problem");
    super(problems.map(formatProblem).join("\n"));
    this.problems = problems;
  }

  get file() { return this.problems[0].file; }
  get line() { return this.problems[0].line; }
  get col() { return this.problems[0].col; }
  get path() { return this.problems[0].path; }
}

/** `grid.init[1]`, `models["t5 small"].checkpoint`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(String(seg))) out += out ? `.${String(seg)}` : String(seg);
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}
