import { describe, expect, it } from "vitest";
import { EnvError, readEnv, requireEnv } from "./env.ts";

describe("readEnv", () => {
  it("reads the variables with defaults for the optional ones", () => {
    const env = readEnv({ DATABASE_URL: "postgresql://u@h/db", REDIS_URL: "redis://h:6379", PTUNE_DEVICE: "cuda", PTUNE_CACHE_DIR: "/c" });
    expect(env).toEqual({ DATABASE_URL: "postgresql://u@h/db", REDIS_URL: "redis://h:6379", PTUNE_DEVICE: "cuda", PTUNE_CACHE_DIR: "/c" });
    const d = readEnv({ REDIS_URL: "" });
    expect(d.REDIS_URL).toBeUndefined();
    expect(d.PTUNE_DEVICE).toBe("cpu");
    expect(d.PTUNE_CACHE_DIR).toMatch(/ptune$/);
  });
  it("names the bad variable in one line", () => {
    expect(() => readEnv({ PTUNE_DEVICE: "tpu" })).toThrow(/^environment variable PTUNE_DEVICE: expected 'cpu' or 'cuda' \(got 'tpu'\)$/);
    expect(() => readEnv({ REDIS_URL: "localhost:6379" })).toThrow(/REDIS_URL: expected a URL like redis:/);
    expect(() => readEnv({ DATABASE_URL: "mysql://x" })).toThrow(EnvError);
  });
  it("requireEnv says which variable is missing and how to set it", () => {
    expect(() => requireEnv(readEnv({}), "REDIS_URL", "the distributed queue")).toThrow(/REDIS_URL is not set \(the distributed queue\); e\.g\. export REDIS_URL=redis:/);
  });
});
