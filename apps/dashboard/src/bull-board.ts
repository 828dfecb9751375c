// Bull Board (@bull-board/api + @bull-board/hono 9.10.1; its BullMQ adapter declares support for
// bullmq ^5.56 || ^6) mounted in the dashboard: one queue per model size, as @ptune/queue routes
// them. Read-only mode: writes go through the dashboard's token-checked actions, and Bull Board's
// UI cannot send our bearer token.
import type { Hono } from "hono";
import { serveStatic } from "@hono/node-server/serve-static";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import type { Db } from "@ptune/db";
import { sanitizeQueueName, type Backend } from "@ptune/queue";

/** How often the queue list is refreshed from the trials' model sizes, ms. */
const REFRESH_MS = 10_000;

export function mountBullBoard(app: Hono, opts: { db: Db; backend: Backend; queueName: (size: string) => string; basePath: string }) {
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(opts.basePath);
  const board = createBullBoard({ queues: [], serverAdapter, options: { uiConfig: { boardTitle: "ptune queues" } } });
  const known = new Set<string>();
  let refreshed = 0;
  const refresh = async () => {
    if (Date.now() - refreshed < REFRESH_MS) return;
    refreshed = Date.now();
    const { rows } = await opts.db.pool.query(`SELECT DISTINCT size FROM trials ORDER BY size`);
    for (const r of rows) {
      const name = sanitizeQueueName(opts.queueName(String(r.size)));
      if (known.has(name)) continue;
      known.add(name);
      board.addQueue(new BullMQAdapter(opts.backend.queue(name) as never, { readOnlyMode: true }));
    }
  };
  app.use(`${opts.basePath}/*`, async (_c, next) => {
    await refresh().catch(() => {}); // a DB hiccup leaves the previous list
    return next();
  });
  app.use(opts.basePath, async (_c, next) => {
    await refresh().catch(() => {});
    return next();
  });
  app.route(opts.basePath, serverAdapter.registerPlugin());
  return { refresh: () => ((refreshed = 0), refresh()) };
}
