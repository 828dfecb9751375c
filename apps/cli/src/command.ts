// The contract every `ptune` command implements. One file per command in ./commands,
// registered in ./commands/index.ts; only bin/ptune.js calls process.exit.
import { parseArgs, type ParseArgsConfig } from "node:util";

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
