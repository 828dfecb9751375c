import { defineConfig } from "vitest/config";

// Two projects: fast unit tests (parallel) and integration tests that talk to real Postgres,
// Redis and onnxruntime (files named *.int.test.ts, run one file at a time: they share servers).
export default defineConfig({
  test: {
    // One migrated database for the run, created on TEST_DATABASE_URL's server and dropped at the end.
    globalSetup: ["./tooling/test-database.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/{src,test}/**/*.test.ts", "apps/*/{src,test}/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
          testTimeout: 60_000,
          maxWorkers: 2,
        },
      },
      {
        test: {
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
