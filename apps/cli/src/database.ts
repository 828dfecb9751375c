// Which database a command talks to: DATABASE_URL when set (distributed mode), otherwise the
// embedded PostgreSQL of local mode, kept in ./.ptune/pg (started, or reused when running).
import { startEmbeddedPostgres } from "@ptune/db";
import { connect, readEnv, type Connected } from "@ptune/queue";

export interface Session extends Connected {
  mode: "distributed" | "local";
}

export async function openSession(opts: { local?: boolean; migrate?: boolean; dataDir?: string; onLog?: (l: string) => void } = {}): Promise<Session> {
  const env = readEnv();
  if (env.DATABASE_URL && !opts.dataDir) {
    // --local only moves the queue into Postgres; without REDIS_URL that is the only option.
    const local = opts.local ?? !env.REDIS_URL;
    const c = await connect({ local, migrate: opts.migrate, env });
    return { ...c, mode: local ? "local" : "distributed" };
  }
  const pg = await startEmbeddedPostgres({ dataDir: opts.dataDir, onLog: opts.onLog });
  const c = await connect({ local: true, migrate: opts.migrate ?? true, env: { ...env, DATABASE_URL: pg.url } });
  return {
    ...c,
    mode: "local",
    async close() {
      await c.close();
      await pg.stop();
    },
  };
}
