#!/bin/sh
# Generates the Prisma client into packages/db/src/generated/prisma (gitignored).
# Runs on `npm install`/`npm ci` (postinstall) and works offline: PRISMA_SCHEMA_ENGINE_BINARY
# points at a stub unless the caller already set a real engine.
set -e
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$here/schema-engine-stub}"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1
cd "$root"
exec npx --no-install prisma generate --config prisma.config.ts
