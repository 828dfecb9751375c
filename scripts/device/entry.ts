// Entry of the device bundle (scripts/device/bundle.sh): only `ptune bench gpu`, so the bundle
// needs onnxruntime-node (resolved at run time from $ORT_NODE_DIR) and nothing of Prisma, pg or
// BullMQ. Usage: node .device-bundle/ptune.mjs bench gpu [flags]   (the same flags as the CLI)
import { command } from "../../apps/cli/src/commands/bench-gpu.ts";
import { runCommand, type Io } from "../../apps/cli/src/command.ts";

async function main(argv: string[]): Promise<number> {
  const words = command.name.split(" ");
  const rest = words.every((w, i) => argv[i] === w) ? argv.slice(words.length) : argv;
  const json = rest.includes("--json");
  const io: Io = { out: (l) => process.stdout.write(l + "\n"), err: (l) => process.stderr.write(l + "\n"), json };
  return runCommand(command, rest, io, (c) => `usage: ${c.usage}\n\n${c.summary}`);
}

process.exitCode = await main(process.argv.slice(2));
