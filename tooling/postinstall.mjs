#!/usr/bin/env node
// Root `postinstall`: builds every workspace package's dist/ (turbo run build, cached in
// .turbo/), so `ptune` runs compiled JavaScript from the first command on. Without the dev
// dependencies (npm ci --omit=dev: no turbo, no TypeScript) it says so and leaves the install
// alone; `ptune` then runs nothing until `npm run build`.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let turbo;
try {
  turbo = require.resolve("turbo/bin/turbo");
  require.resolve("typescript");
} catch {
  console.warn("ptune: turbo/typescript are not installed (dev dependencies), so dist/ was not built; install them and run: npm run build");
  process.exit(0);
}
const r = spawnSync(process.execPath, [turbo, "run", "build", "--output-logs=errors-only"], {
  stdio: "inherit",
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
});
process.exit(r.status ?? 1);
