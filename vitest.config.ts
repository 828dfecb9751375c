import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Tests run the TypeScript sources: the "ptune-source" export condition resolves every @ptune/*
// package to its src/ (not the built dist/), in vitest's resolver and, through execArgv, in the
// worker threads and child processes the tests start (tooling/test-database.ts also sets
// PTUNE_SOURCE=1 so a spawned `ptune` runs its sources).
// (Set on each project: `extends: true` would also repeat the root's globalSetup per project.)
const conditions = ["ptune-source", ...defaultServerConditions];
const sources = { resolve: { conditions }, ssr: { resolve: { conditions, externalConditions: ["ptune-source"] } } };
const execArgv = ["--conditions=ptune-source"];

// Two projects: fast unit tests (parallel) and integration tests that talk to real Postgres,
// Redis and onnxruntime (files named *.int.test.ts, run one file at a time: they share servers).
export default defineConfig({
  test: {
    // One migrated database for the run, created on TEST_DATABASE_URL's server and dropped at the end.
    globalSetup: ["./tooling/test-database.ts"],
    projects: [
      {
        ...sources,
        test: {
          execArgv,
          name: "unit",
          include: ["packages/*/{src,test}/**/*.test.ts", "apps/*/{src,test}/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
          testTimeout: 60_000,
          maxWorkers: 2,
        },
      },
      {
        ...sources,
        test: {
          execArgv,
          name: "integration",
          include: ["packages/*/{src,test}/**/*.int.test.ts", "apps/*/{src,test}/**/*.int.test.ts"],
          exclude: ["**/node_modules/**"],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
