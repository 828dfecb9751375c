// vitest globalSetup: the suite's own PostgreSQL database, so `npm test` needs nothing prepared.
// On the server of TEST_DATABASE_URL (default: the local server, postgres user), it creates a
// uniquely named database, applies the real migrations, hands its URL to every test worker
// through PTUNE_TEST_DATABASE_URL (read by tooling/test-env.ts) and drops it when the run ends.
// Test files that want a database of their own create more on the same server (their names start
// with ptune_; see packages/db/test/helpers.ts) and drop them themselves.
import { randomBytes } from "node:crypto";
// A relative import: vitest loads this file before the test projects (and their resolve conditions) exist.
import { dropDatabase, ensureDatabase, migrate, redact } from "../packages/db/src/index.ts";
import { testServerUrl } from "./test-env.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const u = new URL(testServerUrl);
  u.pathname = `/ptune_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const url = u.toString();
  try {
    await ensureDatabase(url);
    await migrate(url);
  } catch (e) {
    await dropDatabase(url).catch(() => {});
    throw new Error(`tests need a PostgreSQL server at ${redact(testServerUrl)} (set TEST_DATABASE_URL to another one): ${(e as Error).message}`);
  }
  process.env.PTUNE_TEST_DATABASE_URL = url;
  process.env.PTUNE_SOURCE = "1"; // a `ptune` child process runs the sources under test, not dist/
  return async () => {
    await dropDatabase(url);
  };
}
