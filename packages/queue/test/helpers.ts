// Test helpers: unique namespaces on the real Redis/Postgres of the machine, polling.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { Redis } from "ioredis";
import { testDatabaseUrl, testRedisUrl } from "../../../tooling/test-env.ts";
import type { BackendConfig } from "../src/backend.ts";

export const uniq = (p: string) => `${p}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;

/** A backend config in its own namespace, and how to remove it afterwards. */
export function isolatedBackend(kind: "redis" | "postgres"): { config: BackendConfig; drop(): Promise<void> } {
  if (kind === "redis") {
    const prefix = uniq("ptunetest");
    return {
      config: { redisUrl: testRedisUrl, prefix },
      async drop() {
        const r = new Redis(testRedisUrl);
        let cursor = "0";
        do {
          const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
          if (keys.length) await r.del(...keys);
          cursor = next;
        } while (cursor !== "0");
        await r.quit();
      },
    };
  }
  const schema = uniq("ptunetest");
  return {
    config: { postgresUrl: testDatabaseUrl, schema },
    async drop() {
      const c = new pg.Client({ connectionString: testDatabaseUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    },
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
