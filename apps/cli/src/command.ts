// The contract every `ptune` command implements. One file per command in ./commands,
// registered in ./commands/index.ts; only bin/ptune.js calls process.exit.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { redactUrl } from "@ptune/db";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

export interface Io {
  out(line: string): void; // stdout, one line
  err(line: string): void; // stderr, one line
  json: boolean; // --json given: print machine-readable output on stdout only
}

export interface Command {
  name: string; // e.g. "check-parity" or "models init" (sub-commands are space separated)
  summary: string; // one line for `ptune --help`
  usage: string; // "ptune check-parity <model-dir> <golden.safetensors> [--json]"
  example?: string;
  options?: OptionSpec; // node:util parseArgs options (--json and --help are added for you)
  run(args: { positionals: string[]; values: Record<string, string | boolean | string[] | boolean[] | undefined> }, io: Io): Promise<number>;
}

/** An error whose message is the one clear line the user sees; exit code 1 (2 for usage). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export function parseCommandArgs(cmd: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...cmd.options, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new CliError(`${(e as Error).message}\nusage: ${cmd.usage}`, 2);
  }
}

/**
 * Parses `argv` for `cmd` and runs it; `--help` prints `help`. An error becomes one line on stderr
 * (and `{ ok: false, error }` on stdout with --json) and the exit code, so the CLI and the device
 * bundle (scripts/device/entry.ts) fail the same way.
 */
export async function runCommand(cmd: Command, argv: string[], io: Io, help: (cmd: Command) => string): Promise<number> {
  try {
    const args = parseCommandArgs(cmd, argv);
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
