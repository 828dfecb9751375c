// Which database a command talks to: DATABASE_URL when set (distributed mode), otherwise local
// mode's embedded PostgreSQL in <home>/pg, where home is PTUNE_HOME (or --home, which main.ts
// turns into PTUNE_HOME), default ./.ptune. Only `ptune run` (and `ptune db migrate`) create a
// local database; every other command that finds none says where it looked and stops.
// The embedded server is shared by every process on the same home; the last one to leave stops it.
import path from "node:path";
import { embeddedDataExists, NotFoundError, redactUrl, startEmbeddedPostgres } from "@ptune/db";
import { connect, EnvError, QueueUnavailableError, readEnv, type Connected } from "@ptune/queue";
import { CliError } from "./command.ts";

export interface Session extends Connected {
  mode: "distributed" | "local";
  /** The embedded PostgreSQL's folder in local mode. */
  dataDir?: string;
}

/** Local mode's folder: PTUNE_HOME, default ./.ptune (relative to the working directory). */
export function ptuneHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.PTUNE_HOME || ".ptune");
}

/** The embedded PostgreSQL's data folder under the home. */
export const localDataDir = (home = ptuneHome()) => path.join(home, "pg");

export async function openSession(
  opts: { local?: boolean; migrate?: boolean; dataDir?: string; create?: boolean; onLog?: (l: string) => void } = {},
): Promise<Session> {
  const env = readEnv();
  if (env.DATABASE_URL && !opts.dataDir) {
    // --local only moves the queue into Postgres; without REDIS_URL that is the only option.
    const local = opts.local ?? !env.REDIS_URL;
    const c = await connect({ local, migrate: opts.migrate, env, failFast: true }); // a command: Redis down fails fast
    return { ...c, mode: local ? "local" : "distributed" };
  }
  const dataDir = path.resolve(opts.dataDir ?? localDataDir());
  if (!opts.create && !embeddedDataExists(dataDir)) {
    throw new CliError(
      `no local database in ${dataDir}: local mode keeps its data in PTUNE_HOME (now ${path.dirname(dataDir)}); ` +
        `run a sweep there first (ptune run <sweep.yaml>), point elsewhere with --home DIR or PTUNE_HOME=DIR, or set DATABASE_URL`,
    );
  }
  const pg = await startEmbeddedPostgres({ dataDir, create: !!opts.create, onLog: opts.onLog });
  try {
    const c = await connect({ local: true, migrate: opts.migrate ?? true, env: { ...env, DATABASE_URL: pg.url } });
    return {
      ...c,
      mode: "local",
      dataDir,
      async close() {
        await c.close();
        await pg.stop();
      },
    };
  } catch (e) {
    await pg.stop();
    throw e;
  }
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
