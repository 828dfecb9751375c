import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { migrate, startEmbeddedPostgres } from "../src/index.ts";

describe("startEmbeddedPostgres", () => {
  it("starts PostgreSQL 18 on a free port, migrates, reuses a running server, stops", async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), "ptune-embedded-"));
    await chmod(base, 0o755); // as root the server runs as 'postgres', which must enter it
    const dataDir = path.join(base, "pg");
    const pgh = await startEmbeddedPostgres({ dataDir });
    try {
      expect(pgh.reused).toBe(false);
      expect(pgh.url).toMatch(/^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/ptune$/);
      expect((await migrate(pgh.url)).applied.length).toBeGreaterThanOrEqual(2);

      const again = await startEmbeddedPostgres({ dataDir });
      expect(again).toMatchObject({ reused: true, url: pgh.url });
      await again.stop(); // leaves the server to the first handle

      const c = new pg.Client({ connectionString: pgh.url });
      await c.connect();
      const { rows } = await c.query("SELECT current_setting('server_version_num')::int AS v, (SELECT count(*)::int FROM _prisma_migrations) AS m");
      await c.end();
      expect(rows[0].v).toBeGreaterThanOrEqual(180000);
      expect(rows[0].m).toBeGreaterThanOrEqual(2);
    } finally {
      await pgh.stop();
      await rm(base, { recursive: true, force: true });
    }
  });
});
