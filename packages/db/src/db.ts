// One handle on a ptune database: the generated Prisma client (typed reads and simple writes)
// and the pg pool under it (the fenced writes, which need SELECT ... FOR UPDATE and multi-row
// INSERTs in one transaction). Both share one pool, so `close()` releases everything.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export type { PrismaClient };

export interface Db {
  prisma: InstanceType<typeof PrismaClient>;
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

// BIGINT (trials.params, count(*)) arrives as a string by default; parameter counts of T5
// (at most 1.1e10) are exact in a double, so this pool reads them as numbers. Set per pool, not
// globally: other pg users in the process (BullMQ's Postgres backend) keep the defaults.
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Opens a pool on `url` (a migrated database; see migrate()). */
export function openDb(url: string, opts: { max?: number } = {}): Db {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, types });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on("error", () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    url,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** Runs `fn` in one transaction on one pooled connection; rolls back when it throws. */
export async function transaction<T>(db: Db, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.pool.connect();
  try {
    await client.query("BEGIN");
    const out = await fn(client);
    await client.query("COMMIT");
    return out;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
