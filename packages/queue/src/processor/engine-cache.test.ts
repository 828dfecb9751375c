import { describe, expect, it } from "vitest";
import { EngineCache } from "./engine-cache.ts";

describe("EngineCache", () => {
  it("opens each (dir, device) once, retries a failed open, closes all", async () => {
    const opened: string[] = [];
    let closed = 0;
    let failNext = true;
    const cache = new EngineCache(async (dir, device) => {
      opened.push(`${dir}@${device}`);
      if (dir === "bad" && failNext) {
        failNext = false;
        throw new Error("boom");
      }
      return { dir, close: async () => void closed++ };
    });
    const [a, b] = await Promise.all([cache.get("m1", "cpu"), cache.get("m1", "cpu")]);
    expect(a).toBe(b);
    await cache.get("m1", "cuda");
    await expect(cache.get("bad", "cpu")).rejects.toThrow("boom");
    await cache.get("bad", "cpu");
    expect(opened).toEqual(["m1@cpu", "m1@cuda", "bad@cpu", "bad@cpu"]);
    expect(cache.size).toBe(3);
    await cache.closeAll();
    expect(closed).toBe(3);
    expect(cache.size).toBe(0);
  });
});
