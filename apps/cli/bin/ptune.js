#!/usr/bin/env node
// Entry point. Runs the compiled CLI (dist/, built on install: `npm run build`, Turborepo-cached);
// PTUNE_SOURCE=1, or a checkout not built yet, runs the TypeScript sources through tsx instead
// (tooling/source-mode.mjs). Only this file ends the process: main() returns the exit code.
import { existsSync } from "node:fs";

const built = new URL("../dist/main.js", import.meta.url);
const fromSource = !!process.env.PTUNE_SOURCE || !existsSync(built);
if (fromSource) await import("../../../tooling/source-mode.mjs");
const { main } = await import(fromSource ? "../src/main.ts" : built.href);
// A command is done when main() returns: exit now rather than wait for a library's idle timer
// (a pg pool's 10 s idle timeout kept `ptune db migrate` alive 10 s after its work), once what
// was written to stdout/stderr has been flushed (pipes are asynchronous on macOS).
const code = await main(process.argv.slice(2));
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write("", resolve))));
process.exit(code);
