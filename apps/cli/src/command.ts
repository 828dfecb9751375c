// The contract every `ptune` command implements. One file per command in ./commands,
// registered in ./commands/index.ts; only bin/ptune.js ends the process.
import path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { redactUrl } from "@ptune/db";

/** One flag: node:util parseArgs' settings plus what `--help` shows. */
export interface OptionDef {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** One line for `ptune <command> --help`. */
  description?: string;
  /** Applied by the parser when the flag is absent, and shown in help as "(default: ...)". */
  default?: string | boolean;
}
export type OptionSpec = Record<string, OptionDef>;

export interface Io {
  out(line: string): void; // stdout, one line
  err(line: string): void; // stderr, one line
  json: boolean; // --json given: print machine-readable output on stdout only
}

export interface Command {
  name: string; // e.g. "check-parity" or "models init" (a group's sub-commands are space separated)
  summary: string; // one line for `ptune --help`
  usage: string; // "ptune check-parity <model-dir> <golden.safetensors> [--json]"
  example?: string;
  options?: OptionSpec; // --json and --help are added for you
  run(args: { positionals: string[]; values: Record<string, string | boolean | string[] | boolean[] | undefined> }, io: Io): Promise<number>;
}

/** An error whose message is the one clear line the user sees; exit code 1 (2 for usage). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

const COMMON: OptionSpec = {
  home: { type: "string", description: "local mode's folder: embedded PostgreSQL in <home>/pg (default: PTUNE_HOME, else ./.ptune)" },
  json: { type: "boolean", description: "print machine-readable JSON on stdout" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

/** Every option of `cmd`, the common --json and --help last. */
export function allOptions(cmd: Pick<Command, "options">): OptionSpec {
  return { ...cmd.options, ...COMMON };
}

/** Levenshtein distance, for "did you mean" on a mistyped flag. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** parseArgs' own error messages span two lines and speak of positionals; one line instead. */
function usageError(cmd: Command, e: Error & { code?: string }, argv: string[]): CliError {
  const flag = /'(-{1,2}[^' ]+)/.exec(e.message)?.[1] ?? argv.find((a) => a.startsWith("-")) ?? "";
  const hint = `see 'ptune ${cmd.name} --help'`;
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const names = Object.keys(allOptions(cmd));
      const bare = flag.replace(/^-+/, "").split("=")[0]!;
      const near = names.find((n) => n.startsWith(bare) || bare.startsWith(n)) ?? names.find((n) => editDistance(n, bare) <= 2);
      return new CliError(`unknown option ${flag}${near ? ` (did you mean --${near}?)` : ""}; ${hint}`, 2);
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return new CliError(`${/argument missing/.test(e.message) ? `option ${flag} needs a value` : `option ${flag} takes no value`}; ${hint}`, 2);
    default:
      return new CliError(`${e.message.split("\n")[0]}; ${hint}`, 2);
  }
}

export type ParsedArgs = Parameters<Command["run"]>[0];

export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs {
  const options = Object.fromEntries(
    Object.entries(allOptions(cmd)).map(([k, { description: _d, ...o }]) => [k, o]),
  ) as NonNullable<Parameters<typeof parseArgs>[0]>["options"];
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as ParsedArgs;
  } catch (e) {
    throw usageError(cmd, e as Error, argv);
  }
}

/** `ptune <command> --help`: usage, summary, every option with its description and default. */
export function commandHelp(c: Command): string {
  const opts = Object.entries(allOptions(c)).map(([k, o]) => [
    `${o.short ? `-${o.short}, ` : ""}--${k}${o.type === "string" ? " <value>" : ""}`,
    [o.description ?? "", o.default !== undefined && o.default !== false ? `(default: ${o.default})` : ""].filter(Boolean).join(" "),
  ]);
  const width = Math.max(...opts.map(([f]) => f!.length));
  return [
    `usage: ${c.usage}`,
    "",
    c.summary,
    "",
    "options:",
    ...opts.map(([f, d]) => `  ${f!.padEnd(width)}  ${d}`.trimEnd()),
    ...(c.example ? ["", `example: ${c.example}`] : []),
  ].join("\n");
}

/**
 * Parses `argv` for `cmd` and runs it; `--help` prints `help`. An error becomes one line on stderr
 * (and `{ ok: false, error }` on stdout with --json) and the exit code, so the CLI and the device
 * bundle (scripts/device/entry.ts) fail the same way.
 */
export async function runCommand(cmd: Command, argv: string[], io: Io, help: (cmd: Command) => string = commandHelp): Promise<number> {
  try {
    const args = parseCommandArgs(cmd, argv);
    // --home is PTUNE_HOME for this process and what it starts (database.ts reads it).
    if (typeof args.values.home === "string") process.env.PTUNE_HOME = path.resolve(args.values.home);
    if (args.values.help) {
      io.out(help(cmd));
      return 0;
    }
    return await cmd.run(args, io);
  } catch (e) {
    const err = e as Error;
    // every message through the one redaction (@ptune/db redactUrl): no password is ever printed
    const message = redactUrl(err?.message ?? String(e));
    if (io.json) io.out(JSON.stringify({ ok: false, error: message }));
    io.err(`ptune ${cmd.name}: ${message}`);
    if (process.env.PTUNE_DEBUG) io.err(redactUrl(err?.stack ?? ""));
    return e instanceof CliError ? e.exitCode : 1;
  }
}
