import { commands } from "./commands/index.ts";
import { runCommand, type Command, type Io } from "./command.ts";

function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ["usage: ptune <command> [options]   (ptune <command> --help for details)", "", "commands:", ...lines].join("\n");
}

function commandHelp(c: Command): string {
  const opts = Object.entries(c.options ?? {}).map(([k, o]) => `  --${k}${o.type === "string" ? " <value>" : ""}`);
  return [`usage: ${c.usage}`, "", c.summary, ...(opts.length ? ["", "options:", ...opts, "  --json", "  --help"] : []), ...(c.example ? ["", `example: ${c.example}`] : [])].join("\n");
}

/** Finds the longest command name that prefixes argv ("models init" before "models"). */
function resolve(argv: string[]): { cmd?: Command; rest: string[] } {
  let best: Command | undefined;
  for (const c of commands) {
    const words = c.name.split(" ");
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.name.split(" ").length)) best = c;
  }
  return { cmd: best, rest: best ? argv.slice(best.name.split(" ").length) : argv };
}

/** `ptune … | head -1`: the reader went away; stop quietly (exit 0) instead of an EPIPE stack trace. */
function exitQuietlyOnClosedPipe() {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(0);
      throw e;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  const json = argv.includes("--json");
  const io: Io = { out: (l) => process.stdout.write(l + "\n"), err: (l) => process.stderr.write(l + "\n"), json };
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    io.out(helpText());
    return argv.length === 0 ? 2 : 0;
  }
  const { cmd, rest } = resolve(argv);
  if (!cmd) {
    io.err(`ptune: unknown command '${argv[0]}'. Run 'ptune --help' for the list.`);
    return 2;
  }
  return runCommand(cmd, rest, io, commandHelp);
}
