#!/usr/bin/env node
// Generates the Prisma client into packages/db/src/generated/prisma (gitignored). Runs on
// `npm install` / `npm ci` (postinstall) and by hand: `npm run generate -w @ptune/db`.
// Works offline: Prisma 7's CLI wants its native schema engine even for `generate`, which never
// runs it, and tries to download it; PRISMA_SCHEMA_ENGINE_BINARY points it at a stub instead
// (unless the caller set a real engine). See /work/shared/ENVIRONMENT.md, "Prisma 7".
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const require = createRequire(import.meta.url);
let cli;
try {
  cli = path.join(path.dirname(require.resolve("prisma/package.json")), "build", "index.js");
} catch {
  // `npm ci --omit=dev` installs no CLI; failing here would fail the whole install.
  console.warn("@ptune/db: the prisma CLI is not installed (dev dependency); the Prisma client was not generated. Install dev dependencies, then run: npm run generate -w @ptune/db");
  process.exit(0);
}
const r = spawnSync(process.execPath, [cli, "generate", "--config", "prisma.config.ts"], {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || path.join(here, "schema-engine-stub"),
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
  },
});
process.exit(r.status ?? 1);
