// Opening what a command needs from the environment (env.ts): the database, and the queue
// backend — Redis (REDIS_URL, distributed) or, with `local`, BullMQ's PostgreSQL backend in the
// same database (schema ptune_queue; no Redis needed).
import { ensureDatabase, migrate, openDb, type Db } from "@ptune/db";
import { createBackend, type Backend } from "./backend.ts";
import { readEnv, requireEnv, type QueueEnv } from "./env.ts";

export interface Connected {
  env: QueueEnv;
  db: Db;
  backend: Backend;
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * `failFast`: a command (submit, retry, status, cancel), not a worker: Redis unreachable fails in
 * seconds with one line (backend.ts) instead of waiting the outage out.
 */
export async function connect(opts: { local?: boolean; migrate?: boolean; env?: QueueEnv; failFast?: boolean } = {}): Promise<Connected> {
  const env = opts.env ?? readEnv();
  const databaseUrl = requireEnv(env, "DATABASE_URL", "where sweeps, trials and results are stored");
  const redisUrl = opts.local ? undefined : requireEnv(env, "REDIS_URL", "the job queue; or pass --local to queue in PostgreSQL instead");
  if (opts.migrate) {
    await ensureDatabase(databaseUrl);
    await migrate(databaseUrl);
  }
  const db = openDb(databaseUrl);
  const backend = createBackend(redisUrl ? { redisUrl, failFast: opts.failFast } : { postgresUrl: databaseUrl });
  return {
    env,
    db,
    backend,
    databaseUrl,
    async close() {
      await backend.close();
      await db.close();
    },
  };
}
