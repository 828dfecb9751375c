// `ptune <command> [options]`: finds the command in the registry (commands/index.ts), loads its
// module and runs it. `ptune`, `ptune --help` and `ptune <group>` list commands without loading any.
import { exitBySignal } from "@ptune/queue/exit";
import { commandHelp, runCommand, type Io } from "./command.ts";
import { commands, groups, type CommandEntry } from "./commands/index.ts";

function listing(entries: CommandEntry[], strip = ""): string[] {
  const name = (e: CommandEntry) => e.name.slice(strip.length);
  const width = Math.max(...entries.map((e) => name(e).length), 8);
  return entries.map((e) => `  ${name(e).padEnd(width)}  ${e.summary}`);
}

function helpText(): string {
  return [
    "usage: ptune <command> [options]   (ptune <command> --help for its options)",
    "",
    "commands:",
    ...listing(commands),
    "",
    `groups: ${Object.keys(groups).map((g) => `ptune ${g}`).join(", ")} list their commands`,
  ].join("\n");
}

function groupHelp(group: string): string {
  const members = commands.filter((c) => c.name.startsWith(`${group} `));
  return [`usage: ptune ${group} <command> [options]   (${groups[group]})`, "", "commands:", ...listing(members, `${group} `)].join("\n");
}

/** The longest command name that prefixes argv ("models init" before "models"). */
function resolve(argv: string[]): { entry?: CommandEntry; rest: string[] } {
  let best: CommandEntry | undefined;
  for (const c of commands) {
    const words = c.name.split(" ");
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.name.split(" ").length)) best = c;
  }
  return { entry: best, rest: best ? argv.slice(best.name.split(" ").length) : argv };
}

/**
 * `ptune … | head -1`: the reader went away; die of SIGPIPE, quietly, as coreutils do (a shell
 * sees 141), instead of an EPIPE stack trace — and not by process.exit, which aborts the process
 * while a sandbox thread is inside onnxruntime (`ptune run … | head -4` exited 134 in 2 of 3 runs).
 */
function exitQuietlyOnClosedPipe() {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") return exitBySignal("SIGPIPE");
      throw e;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  const json = argv.includes("--json");
  const io: Io = { out: (l) => process.stdout.write(l + "\n"), err: (l) => process.stderr.write(l + "\n"), json };
  const first = argv[0];
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    io.out(helpText());
    return first === undefined ? 2 : 0;
  }
  const { entry, rest } = resolve(argv);
  if (!entry) {
    if (Object.hasOwn(groups, first)) {
      const sub = argv[1];
      if (sub === undefined || sub === "--help" || sub === "-h") {
        io.out(groupHelp(first));
        return sub === undefined ? 2 : 0;
      }
      io.err(`ptune ${first}: unknown command '${sub}'. Run 'ptune ${first}' for the list.`);
      return 2;
    }
    io.err(`ptune: unknown command '${first}'. Run 'ptune --help' for the list.`);
    return 2;
  }
  return runCommand(await entry.load(), rest, io, commandHelp);
}
