// Throw-away servers for the chaos bench and the fault tests: a `redis-server` on a free port
// (AOF on, so a restart keeps the queue, as a production Redis would) and an embedded PostgreSQL
// (@ptune/db startEmbeddedPostgres), each of which can be killed and restarted on the same port
// and data directory.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort, startEmbeddedPostgres, type EmbeddedPostgresHandle } from "@ptune/db";

export { freePort };

/** A directory the `postgres` system user can enter (embedded Postgres runs as it under root). */
export function scratchDir(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(d, 0o755);
  return d;
}

async function waitPort(port: number, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, "127.0.0.1", () => (s.end(), r(true)));
      s.on("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface RedisServer {
  url: string;
  port: number;
  /** kill -9 (nothing flushed beyond the AOF's every-write fsync) */
  kill(): Promise<void>;
  start(): Promise<void>;
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(opts: { dir?: string; port?: number; aof?: boolean } = {}): Promise<RedisServer> {
  const dir = opts.dir ?? scratchDir("ptune-redis-");
  mkdirSync(dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", opts.aof === false ? "no" : "yes", "--appendfsync", "always", "--logfile", path.join(dir, "redis.log")], { stdio: "ignore" });
    await waitPort(port);
  };
  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((r) => {
      p.once("exit", () => r());
      p.kill("SIGKILL");
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    start,
    async restart(downMs = 0) {
      await kill();
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    stop: kill,
  };
}

export interface PostgresServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(downMs?: number): Promise<void>;
}

export async function startPostgres(opts: { dir?: string; database?: string } = {}): Promise<PostgresServer> {
  const dataDir = path.join(opts.dir ?? scratchDir("ptune-pg-"), "pg");
  let h: EmbeddedPostgresHandle = await startEmbeddedPostgres({ dataDir, database: opts.database });
  const port = h.port;
  return {
    url: h.url,
    port,
    stop: () => h.stop(),
    async start() {
      h = await startEmbeddedPostgres({ dataDir, port, database: opts.database });
    },
    async restart(downMs = 0) {
      await h.stop();
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      h = await startEmbeddedPostgres({ dataDir, port, database: opts.database });
    },
  };
}
