// Where tests find the shared read-only fixtures and this machine's servers.
// One place, so a CI clone (../shared beside the repo) and a developer checkout agree.
import { fileURLToPath } from "node:url";
import path from "node:path";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const sharedDir = process.env.PTUNE_SHARED ?? path.resolve(repoRoot, "..", "shared");
export const goldenDir = path.join(sharedDir, "fixtures", "t5-golden");
export const fixtureModel = (v: "v1_0" | "v1_1") => path.join(goldenDir, `t5-tiny-${v}`);
export const goldenFile = (v: "v1_0" | "v1_1") => path.join(goldenDir, `golden-t5-tiny-${v}.safetensors`);
/** The PostgreSQL server tests may create databases on (its database part is not used). */
export const testServerUrl = process.env.TEST_DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
/** The migrated database this test run created (tooling/test-database.ts, vitest's globalSetup). */
export const testDatabaseUrl = process.env.PTUNE_TEST_DATABASE_URL ?? testServerUrl;
export const testRedisUrl = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";
/** A Redis key prefix no one else uses: tests put their queues under it and delete only its keys. */
export const testRedisPrefix = (tag: string) => `ptunetest_${tag}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
