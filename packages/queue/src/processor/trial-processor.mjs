// Entry BullMQ loads in each sandbox worker thread (useWorkerThreads: true). Built (dist/), the
// compiled processor sits beside this file; in src/, threads do not share the main thread's loader
// hooks on Node 20, so register the source mode (tsx + sources of @ptune/*) here first.
import { existsSync } from "node:fs";

const built = new URL("./trial-processor-entry.js", import.meta.url);
const fromSource = !existsSync(built);
if (fromSource) await import("../../../../tooling/source-mode.mjs");
const { default: trialProcessor } = await import(fromSource ? "./trial-processor-entry.ts" : built.href);
export default trialProcessor;
