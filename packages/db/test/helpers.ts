// One throwaway database per test file on the test server (tooling/test-env.ts), migrated with
// the real migrations, dropped afterwards.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { testDatabaseUrl } from "../../../tooling/test-env.ts";
import { dropDatabase, ensureDatabase, migrate, openDb, type Db, type TrialInput } from "../src/index.ts";

export function uniqueDatabaseUrl(tag: string): string {
  const u = new URL(testDatabaseUrl);
  u.pathname = `/ptune_db_${tag}_${process.pid}_${randomBytes(3).toString("hex")}`;
  return u.toString();
}

async function freshDb(tag: string): Promise<{ db: Db; url: string; drop(): Promise<void> }> {
  const url = uniqueDatabaseUrl(tag);
  await ensureDatabase(url);
  await migrate(url);
  const db = openDb(url);
  return {
    db,
    url,
    async drop() {
      await db.close();
      await dropDatabase(url);
    },
  };
}

/** A fresh database for the calling test file: created before its tests (then `ready` runs, to
 * keep the handle and add rows), dropped after them. */
export function useFreshDb(tag: string, ready: (db: Db) => Promise<void> | void): void {
  let ctx: Awaited<ReturnType<typeof freshDb>> | undefined;
  beforeAll(async () => {
    ctx = await freshDb(tag);
    await ready(ctx.db);
  });
  afterAll(() => ctx?.drop());
}

/** A trial as @ptune/sweep would expand it; the id stands in for its hash. */
export function trial(over: Partial<TrialInput> & { id: string }): TrialInput {
  return {
    model: "t5-small",
    size: "small",
    task: "rte",
    method: "prompt",
    promptLength: 100,
    init: "class",
    seed: 0,
    params: 60_000_000,
    config: { lr: 0.3 },
    ...over,
  };
}
