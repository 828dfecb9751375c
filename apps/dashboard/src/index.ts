// @ptune/dashboard: the live web dashboard (docs/architecture.md). `createServer` builds it;
// src/main.ts starts it from the environment.
export { createServer, type ServerOptions, type DashboardServer } from "./server.ts";
export { readDashboardEnv, type DashboardEnv } from "./env.ts";
