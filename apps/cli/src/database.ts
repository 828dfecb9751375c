// Which database a command talks to: DATABASE_URL when set (distributed mode), otherwise the
// embedded PostgreSQL of local mode, kept in ./.ptune/pg (started, or reused when running).
import { NotFoundError, redactUrl, startEmbeddedPostgres } from "@ptune/db";
import { connect, EnvError, QueueUnavailableError, readEnv, type Connected } from "@ptune/queue";
import { CliError } from "./command.ts";

export interface Session extends Connected {
  mode: "distributed" | "local";
}

export async function openSession(opts: { local?: boolean; migrate?: boolean; dataDir?: string; onLog?: (l: string) => void } = {}): Promise<Session> {
  const env = readEnv();
  if (env.DATABASE_URL && !opts.dataDir) {
    // --local only moves the queue into Postgres; without REDIS_URL that is the only option.
    const local = opts.local ?? !env.REDIS_URL;
    const c = await connect({ local, migrate: opts.migrate, env, failFast: true }); // a command: Redis down fails fast
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

/**
 * Runs `fn` with a session and closes it; the errors a user can fix (an unknown sweep, a bad
 * environment variable) become one clear CLI line.
 */
export async function withSession<T>(opts: Parameters<typeof openSession>[0], fn: (s: Session) => Promise<T>): Promise<T> {
  try {
    const s = await openSession(opts);
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  } catch (e) {
    if (e instanceof NotFoundError || e instanceof EnvError || e instanceof QueueUnavailableError) throw new CliError(redactUrl(e.message));
    throw e;
  }
}
