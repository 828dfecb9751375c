// Entry BullMQ loads in each sandbox worker thread (useWorkerThreads: true). Threads do not
// share the main thread's loader hooks on Node 20, so register tsx here, then load the
// TypeScript processor (packages ship sources; docs/architecture.md).
import { register } from "tsx/esm/api";

register();
const { default: trialProcessor } = await import("./trial-processor-entry.ts");
export default trialProcessor;
