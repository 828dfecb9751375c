// One opened engine per (checkpoint dir, device) per sandbox thread. BullMQ keeps a worker
// thread alive and reuses it for the next job (child-pool.js release -> free list; verified in
// test/backend.int.test.ts), so this module-level map keeps ONE InferenceSession set per model
// across all the trials a thread runs, instead of rebuilding graphs for every trial.
export class EngineCache<E extends { close(): Promise<void> }> {
  private readonly engines = new Map<string, Promise<E>>();

  constructor(private readonly open: (checkpointDir: string, device: "cpu" | "cuda") => Promise<E>) {}

  get(checkpointDir: string, device: "cpu" | "cuda"): Promise<E> {
    const key = `${device}\u0000${checkpointDir}`;
    let e = this.engines.get(key);
    if (!e) {
      e = this.open(checkpointDir, device);
      // A failed open must not poison the cache: the next trial tries again.
      e.catch(() => this.engines.delete(key));
      this.engines.set(key, e);
    }
    return e;
  }

  get size(): number {
    return this.engines.size;
  }

  async closeAll(): Promise<void> {
    const all = [...this.engines.values()];
    this.engines.clear();
    await Promise.allSettled(all.map(async (e) => (await e).close()));
  }
}
