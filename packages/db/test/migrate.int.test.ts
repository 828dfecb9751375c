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
      expect(views.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(["init_ablation", "prompt_length_ablation", "scale_curve", "trial_best"]));
    } finally {
      await c.end();
    }
  });

  it("the init migration is exactly what Prisma generates from schema.prisma", async () => {
    // A live-database diff would be the stronger check, but the wasm engine's introspection
    // through @prisma/adapter-pg 7.10 fails on Postgres' internal "char" columns. Until the
    // schema gets a second table migration, comparing the init migration with Prisma's own
    // empty -> schema diff proves they agree (so `prisma migrate dev` sees no drift).
    const schemaPath = path.join(migrationsDir, "..", "schema.prisma");
    const content = await readFile(schemaPath, "utf8");
    const init = (await readdir(migrationsDir)).filter((d) => d.endsWith("_init"));
    expect(init).toHaveLength(1);
    const committed = await readFile(path.join(migrationsDir, init[0]!, "migration.sql"), "utf8");
    const h = await openSchemaEngine(url);
    try {
      const diff = await h.engine.diff({
        from: { tag: "empty" },
        to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content }] },
        script: true,
        exitCode: null,
        filters: { externalTables: [], externalEnums: [] },
      });
      expect(diff.stdout?.trim()).toBe(committed.trim());
    } finally {
      await h.close();
    }
  });

  it("names the folder when the migrations are missing", async () => {
    await expect(migrate(url, "/nonexistent/migrations")).rejects.toThrow(/migrations folder not found: \/nonexistent\/migrations/);
  });
});
