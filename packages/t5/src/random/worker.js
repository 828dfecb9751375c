// Worker thread for random checkpoints: builds one tensor per message and transfers its buffer.
import { parentPort } from "node:worker_threads";
import { makeTensor } from "./normal.js";

parentPort.on("message", ({ id, job }) => {
  const out = makeTensor(job);
  parentPort.postMessage({ id, buffer: out.buffer }, [out.buffer]);
});
