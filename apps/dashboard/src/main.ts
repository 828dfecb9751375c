// Entry: `node --import tsx apps/dashboard/src/main.ts` (or `ptune dashboard`). Only starts the server.
import { openDb } from "@ptune/db";
import { createBackend } from "@ptune/queue";
import { createServer } from "./server.ts";
import { readDashboardEnv } from "./env.ts";

const env = readDashboardEnv();
if (!env.DATABASE_URL) throw new Error("environment variable DATABASE_URL is not set; e.g. export DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ptune (or run 'ptune dashboard' for local mode)");
const db = openDb(env.DATABASE_URL, { max: 4 });
const backend = env.REDIS_URL ? createBackend({ redisUrl: env.REDIS_URL }) : undefined;
// 127.0.0.1 by default (issue 10: this entry bound 0.0.0.0 and served everything without a token);
// PTUNE_DASHBOARD_HOST=0.0.0.0 needs PTUNE_DASHBOARD_TOKEN, and then every page needs it.
const { url } = await createServer({ db, backend, token: env.PTUNE_DASHBOARD_TOKEN }).listen({ port: env.PTUNE_DASHBOARD_PORT ?? 8787, hostname: env.PTUNE_DASHBOARD_HOST ?? "127.0.0.1" });
console.log(`ptune dashboard on ${url}${env.PTUNE_DASHBOARD_TOKEN ? "" : " (read-only: PTUNE_DASHBOARD_TOKEN unset)"}`);
