// Prisma 7 configuration (read by the `prisma` CLI: generate, migrate deploy/dev/status).
// `env()` from prisma/config throws when DATABASE_URL is unset, which would break
// `prisma generate` on a fresh clone, so the URL falls back to the local default here.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/ptune" },
});
