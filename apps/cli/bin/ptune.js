#!/usr/bin/env node
// Entry point. Runs the compiled CLI (dist/, built on install: `npm run build`, Turborepo-cached);
// PTUNE_SOURCE=1, or a checkout not built yet, runs the TypeScript sources through tsx instead
// (tooling/source-mode.mjs). Only this file ends the process: main() returns the exit code.
import { existsSync } from "node:fs";

const built = new URL("../dist/main.js", import.meta.url);
const fromSource = !!process.env.PTUNE_SOURCE || !existsSync(built);
if (fromSource) await import("../../../tooling/source-mode.mjs");
const { main } = await import(fromSource ? "../src/main.ts" : built.href);
process.exitCode = await main(process.argv.slice(2));
