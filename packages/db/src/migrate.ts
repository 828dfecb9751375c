// Applying prisma/migrations without the Prisma CLI's native engine (offline here).
//
// Choice: the migrations are applied by Prisma's own schema engine compiled to WebAssembly
// (applyMigrations, the command behind `prisma migrate deploy`), not by a hand-written runner.
// So the `_prisma_migrations` table, checksums and locking are exactly Prisma's, and a user with
// internet can run `npx prisma migrate deploy` on the same database at any time: both see the
// same history. Running it twice applies nothing the second time.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openSchemaEngine } from "./schema-engine.ts";
import { redactUrl } from "./redact.ts";

/** prisma/migrations at the repository root (the layout `prisma migrate` expects). */
export const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../prisma/migrations");

export interface MigrateResult {
  /** Names of the migrations applied by this call (empty when the database was up to date). */
  applied: string[];
}

/** Reads a migrations folder into the engine's MigrationList (what the CLI does before calling it). */
async function loadMigrations(dir: string) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    throw new Error(`migrations folder not found: ${dir} (expected prisma/migrations at the repository root)`);
  }
  const lockPath = path.join(dir, "migration_lock.toml");
  const lock = await readFile(lockPath, "utf8").catch(() => null);
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const migrationDirectories = await Promise.all(
    dirs.map(async (name) => {
      const file = path.join(dir, name, "migration.sql");
      const content = await readFile(file, "utf8").then(
        (value) => ({ tag: "ok" as const, value }),
        (e: Error) => ({ tag: "error" as const, value: e.message }),
      );
      return { path: name, migrationFile: { path: "migration.sql", content } };
    }),
  );
  return {
    baseDir: dir,
    lockfile: { path: "migration_lock.toml", content: lock },
    shadowDbInitScript: "",
    migrationDirectories,
  };
}

/**
 * Applies every pending migration in `dir` (default: prisma/migrations) to `databaseUrl`.
 * The database must exist (see ensureDatabase).
 */
export async function migrate(databaseUrl: string, dir = migrationsDir): Promise<MigrateResult> {
  const migrationsList = await loadMigrations(dir);
  const handle = await openSchemaEngine(databaseUrl);
  try {
    const out = await handle.engine.applyMigrations({ migrationsList, filters: { externalTables: [], externalEnums: [] } });
    return { applied: out.appliedMigrationNames };
  } catch (e) {
    throw new Error(`migrating ${redact(databaseUrl)} from ${dir} failed: ${engineMessage(e)}`);
  } finally {
    await handle.close();
  }
}

/** Creates the database named in `databaseUrl` when it does not exist; returns whether it did. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  return withAdminClient(databaseUrl, async (client, name) => {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === "42P04") return false; // created concurrently
      throw e;
    }
  });
}

/** Drops the database named in `databaseUrl` (tests clean up with it); no error when missing. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  await withAdminClient(databaseUrl, (client, name) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
}

/** Runs `fn` on a connection to the server's `postgres` database (a database cannot create or
 * drop itself), with the name of the database `databaseUrl` points at. */
async function withAdminClient<T>(databaseUrl: string, fn: (client: pg.Client, name: string) => Promise<T>): Promise<T> {
  const { name, admin } = splitDatabase(databaseUrl);
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    return await fn(client, name);
  } finally {
    await client.end();
  }
}

/** The database name of a URL, and a URL to the server's `postgres` database for admin work. */
function splitDatabase(databaseUrl: string): { name: string; admin: string } {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error(`database URL is not a URL: expected postgresql://user@host:port/database, got '${databaseUrl}'`);
  }
  const name = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!name) throw new Error(`database URL '${redact(databaseUrl)}' names no database (expected .../<database>)`);
  url.pathname = name === "postgres" ? "/template1" : "/postgres";
  return { name, admin: url.toString() };
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The URL without its password, for messages (one redaction for every message: redact.ts). */
export const redact = redactUrl;

/** Engine errors arrive as objects or JSON strings; keep the human message. */
function engineMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === "string") {
    try {
      const parsed = JSON.parse(e) as { message?: string; error?: string };
      return parsed.message ?? parsed.error ?? e;
    } catch {
      return e;
    }
  }
  return JSON.stringify(e);
}
