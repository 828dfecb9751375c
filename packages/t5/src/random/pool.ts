// A small worker pool that builds random tensors in parallel (./worker.js) for large presets.
// Each tensor's values depend only on (seed, name), so the pool yields the same bytes as the
// in-process path; results are consumed in order by the streaming safetensors writer.
import { Worker } from "node:worker_threads";
import type { TensorJob } from "./normal.js";

export class TensorPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; job: TensorJob }[] = [];
  private readonly pending = new Map<number, { resolve: (a: Float32Array) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL("./worker.js", import.meta.url));
      w.on("message", ({ id, buffer }: { id: number; buffer: ArrayBuffer }) => {
        this.pending.get(id)?.resolve(new Float32Array(buffer));
        this.pending.delete(id);
        this.idle.push(w);
        this.pump();
      });
      w.on("error", (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  run(job: TensorJob): Promise<Float32Array> {
    const id = this.nextId++;
    const p = new Promise<Float32Array>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.queue.push({ id, job });
    this.pump();
    return p;
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) this.idle.pop()!.postMessage(this.queue.shift());
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
