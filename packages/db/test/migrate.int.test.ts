import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropDatabase, ensureDatabase, migrate, migrationsDir } from "../src/index.ts";
import { openSchemaEngine } from "../src/schema-engine.ts";
import { uniqueDatabaseUrl } from "./helpers.ts";

describe("migrate", () => {
  const url = uniqueDatabaseUrl("migrate");
  beforeAll(async () => {
    expect(await ensureDatabase(url)).toBe(true);
    expect(await ensureDatabase(url)).toBe(false);
  });
  afterAll(() => dropDatabase(url));

  it("applies every migration once (even when started concurrently); a second run is a no-op", async () => {
    const dirs = (await readdir(migrationsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(dirs.length).toBeGreaterThanOrEqual(2);
    // Workers starting together all migrate: Prisma's advisory lock lets one apply, the others
    // then find nothing to do.
    const runs = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    expect(runs.map((r) => r.applied).sort((a, b) => b.length - a.length)).toEqual([dirs, [], []]);
    expect((await migrate(url)).applied).toEqual([]);

    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      // Prisma's own bookkeeping: one finished row per migration, checksum = sha256 of the file,
      // which is what `prisma migrate deploy` compares on a user's machine.
      const { rows } = await c.query("SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY migration_name");
      expect(rows.map((r) => r.migration_name)).toEqual(dirs);
      for (const r of rows) {
        const sql = await readFile(path.join(migrationsDir, r.migration_name, "migration.sql"));
        expect(r.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
        expect(r.finished_at).not.toBeNull();
        expect(r.rolled_back_at).toBeNull();
      }
      // The lock is released (on the session that took it).
      expect((await c.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).rows[0].n).toBe(0);
      const views = await c.query("SELECT table_name FROM information_schema.views WHERE table_schema = 'public' ORDER BY 1");
      expect(views.rows.map((r) => r.table_name)).toEqual(["config_scores", "sweep_superglue_tasks", "trial_best"]);
    } finally {
      await c.end();
    }
  });

  it("the migrations build exactly the tables Prisma generates from schema.prisma", async () => {
    // A live-database diff would be the stronger check, but the wasm engine's introspection
    // through @prisma/adapter-pg 7.10 fails on Postgres' internal "char" columns. Instead: apply
    // Prisma's own empty -> schema.prisma script to a second fresh database and compare the two
    // catalogs (tables, columns, types, defaults, indexes, constraints, enums), so that
    // `prisma migrate dev` sees no drift.
    const schemaPath = path.join(migrationsDir, "..", "schema.prisma");
    const content = await readFile(schemaPath, "utf8");
    const h = await openSchemaEngine(url);
    let script: string;
    try {
      const diff = await h.engine.diff({
        from: { tag: "empty" },
        to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content }] },
        script: true,
        exitCode: null,
        filters: { externalTables: [], externalEnums: [] },
      });
      script = diff.stdout ?? "";
    } finally {
      await h.close();
    }
    const fromPrisma = uniqueDatabaseUrl("prisma_schema");
    await ensureDatabase(fromPrisma);
    try {
      const p = new pg.Client({ connectionString: fromPrisma });
      await p.connect();
      try {
        await p.query(script);
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          expect(await catalog(c)).toEqual(await catalog(p));
        } finally {
          await c.end();
        }
      } finally {
        await p.end();
      }
    } finally {
      await dropDatabase(fromPrisma);
    }
  });

  it("names the folder when the migrations are missing", async () => {
    await expect(migrate(url, "/nonexistent/migrations")).rejects.toThrow(/migrations folder not found: \/nonexistent\/migrations/);
  });
});

/** The tables' structure as comparable rows (Prisma's bookkeeping table and the views left out). */
async function catalog(c: pg.Client) {
  const q = async (sql: string) => (await c.query(sql)).rows;
  return {
    columns: await q(`SELECT c.table_name, c.column_name, c.data_type, c.udt_name, c.is_nullable, c.column_default, c.character_maximum_length, c.datetime_precision
      FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name <> '_prisma_migrations' ORDER BY 1, 2`),
    indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1, 2`),
    constraints: await q(`SELECT conrelid::regclass::text AS tbl, conname, contype, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations' ORDER BY 1, 2`),
    enums: await q(`SELECT t.typname, e.enumlabel, e.enumsortorder FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid ORDER BY 1, 3`),
  };
}
