// One error class for everything wrong with a sweep file. The message is the one line a user
// sees: `file:line:col: path: what was expected, got what`.

export interface SweepProblem {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
  /** Dotted path into the document, e.g. `grid.init[1]`; "" for the document itself. */
  path: string;
  /** What is wrong, without the position prefix. */
  message: string;
}

export function formatProblem(p: SweepProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ""}${p.message}`;
}

export class SweepError extends Error {
  override readonly name = "SweepError";
  /** Every problem found, earliest in the file first; `message` is the first one. */
  readonly problems: SweepProblem[];

  constructor(problems: SweepProblem[]) {
    if (problems.length === 0) throw new Error("SweepError needs at least one problem");
    super(formatProblem(problems[0]));
    this.problems = problems;
  }

  get file() { return this.problems[0].file; }
  get line() { return this.problems[0].line; }
  get column() { return this.problems[0].column; }
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
