// Entry of the device bundle (scripts/device/bundle.sh): only `ptune bench gpu`, so the bundle
// needs onnxruntime-node (resolved at run time from $ORT_NODE_DIR) and nothing of Prisma, pg or
// BullMQ. Usage: node .device-bundle/ptune.mjs bench gpu [flags]   (the same flags as the CLI)
import { command } from "../../apps/cli/src/commands/bench-gpu.ts";
import { CliError, parseCommandArgs, type Io } from "../../apps/cli/src/command.ts";

async function main(argv: string[]): Promise<number> {
  const words = command.name.split(" ");
  const rest = words.every((w, i) => argv[i] === w) ? argv.slice(words.length) : argv;
  const json = rest.includes("--json");
  const io: Io = { out: (l) => process.stdout.write(l + "\n"), err: (l) => process.stderr.write(l + "\n"), json };
  try {
    const args = parseCommandArgs(command, rest);
    if (args.values.help) {
      io.out(`usage: ${command.usage}\n\n${command.summary}`);
      return 0;
    }
    return await command.run(args, io);
  } catch (e) {
    const err = e as Error;
    if (json) io.out(JSON.stringify({ ok: false, error: err.message }));
    io.err(`ptune ${command.name}: ${err.message}`);
    if (process.env.PTUNE_DEBUG) io.err(err.stack ?? "");
    return e instanceof CliError ? e.exitCode : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
