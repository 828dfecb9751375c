// createServer: the dashboard as a Hono app over @ptune/db (and, when given, the queue backend
// for Bull Board at /queues and for the write actions). Read-only by default: the POST actions
// need `Authorization: Bearer <token>` and are refused outright when no token is configured; with a
// token configured, reads need it too (header, or `?token=` once, then a cookie).
import { timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { Hono, type Context } from "hono";
import { streamSSE } from "hono/streaming";
import { serve } from "@hono/node-server";
import { listSweeps, listWorkers, NotFoundError, resolveSweep, sweepStatusOf, type Db } from "@ptune/db";
import type { Backend } from "@ptune/queue";
import { queueNameFor } from "@ptune/sweep";
import { missingLines, type TrialBestRow } from "@ptune/report";
import { cancelSweepAction, retryFailedAction } from "./actions.ts";
import { mountBullBoard } from "./bull-board.ts";
import { curvesOf, queueCounts, sweepPack, trialCells, type TrialCell } from "./queries.ts";
import { ReportCache } from "./report-cache.ts";
import { esc, page } from "./views/html.ts";
import { curvesPanel, figuresPanel, queuesTable, sweepRef, sweepsTable, trialGrid, workersTable } from "./views/fragments.ts";

export interface ServerOptions {
  db: Db;
  backend?: Backend;
  /** Enables the POST actions (PTUNE_DASHBOARD_TOKEN); unset = read-only. */
  token?: string;
  /** How often the event stream polls the database, ms (default 2000). */
  pollMs?: number;
}

export interface DashboardServer {
  app: Hono;
  listen(opts?: { port?: number; hostname?: string }): Promise<{ url: string; port: number; close(): Promise<void> }>;
}

const enc = encodeURIComponent;

function asBestRows(trials: TrialCell[]): TrialBestRow[] {
  return trials.map((t) => ({
    sweep_id: "", sweep_name: "", trial_id: t.id, task: t.task, method: t.method, model: t.model, params: t.params,
    prompt_length: t.promptLength, init: t.init, seed: t.seed, state: t.state, metric: t.metric, best_score: t.bestScore, best_step: t.bestStep,
  }));
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!m) return false;
  const a = Buffer.from(m[1]!.trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** 127.0.0.0/8, ::1, localhost: only this machine can connect. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || h === "::ffff:127.0.0.1";
}

const TOKEN_COOKIE = "ptune_dashboard_token";

export function createServer(opts: ServerOptions): DashboardServer {
  const { db, backend } = opts;
  const pollMs = opts.pollMs ?? 2000;
  const cache = new ReportCache(db);
  const app = new Hono();

  // Bind and token (issue 10): the server binds 127.0.0.1 unless told otherwise; a non-loopback
  // bind needs a token. With a token (whatever the bind), EVERY route but /healthz needs it
  // (sweeps, trials, workers and Redis stats are for whoever holds it: other users of a shared
  // host reach 127.0.0.1 too). A browser cannot send a header on navigation, so `?token=` once
  // sets an HttpOnly, SameSite=Strict cookie and redirects to the clean URL.
  app.use("*", async (c, next) => {
    if (!opts.token || c.req.path === "/healthz") return next();
    const url = new URL(c.req.url);
    const query = url.searchParams.get("token");
    if (query !== null && tokenMatches(`Bearer ${query}`, opts.token)) {
      url.searchParams.delete("token");
      c.header("set-cookie", `${TOKEN_COOKIE}=${encodeURIComponent(query)}; HttpOnly; SameSite=Strict; Path=/`);
      return c.redirect(url.pathname + url.search, 303);
    }
    const cookie = /(?:^|;\s*)ptune_dashboard_token=([^;]+)/.exec(c.req.header("cookie") ?? "")?.[1];
    if (tokenMatches(c.req.header("authorization"), opts.token) || (cookie && tokenMatches(`Bearer ${decodeURIComponent(cookie)}`, opts.token))) return next();
    return c.text("this dashboard needs its token: open it once as /?token=$PTUNE_DASHBOARD_TOKEN, or send Authorization: Bearer <token>", 401);
  });

  app.onError((err, c) => {
    if (err instanceof NotFoundError) return c.html(page({ title: "not found", body: `<h1>Not found</h1><p>${esc(err.message)}</p>` }), 404);
    console.error(err);
    return c.text(`dashboard error: ${err.message}`, 500);
  });

  const indexParts = async () => {
    const [sweeps, workers, queues] = await Promise.all([listSweeps(db, { latestOnly: true }), listWorkers(db), backend ? queueCounts(db, backend) : null]);
    return { sweeps: sweepsTable(sweeps), workers: workersTable(workers), ...(queues && { queues: queuesTable(queues) }) };
  };

  const sweepParts = async (ref: string) => {
    const sweep = await resolveSweep(db, ref);
    const [trials, workers, pack] = await Promise.all([trialCells(db, String(sweep.id)), listWorkers(db), sweepPack(db, sweep.id)]);
    const [curves, cached] = await Promise.all([curvesOf(db, trials), cache.get(sweep)]);
    const base = `/sweeps/${enc(sweepRef(sweep))}/files`;
    const figures = cached.report.figures.map((f) => ({ id: f.id, title: f.title, svg: `${base}/${f.files.svg}?v=${enc(cached.version)}` }));
    const counts = new Map<string, number>();
    for (const t of trials) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
    const status = sweepStatusOf(sweep.state, { queued: counts.get("queued") ?? 0, running: counts.get("running") ?? 0 });
    const version = sweep.version > 1 || !sweep.latest ? ` · version ${sweep.version}${sweep.latest ? " (latest)" : ` (older; latest: <a href="/sweeps/${enc(sweep.name)}">${esc(sweep.name)}</a>)`}` : "";
    const packNote = pack > 1 ? ` · <span class="pack-note">pack ${pack}: up to ${pack} prompt-tuning trials share one queue job, so <a href="/queues">Bull Board</a> counts fewer jobs than trials</span>` : "";
    const summary = `sweep <strong class="status-${esc(status)}">${esc(status)}</strong>${version} · ${trials.length} trials · ${[...counts].map(([s, n]) => `<span class="chip s-${esc(s)}">${n} ${esc(s)}</span>`).join(" ")}${packNote}`;
    return {
      sweep,
      parts: {
        summary,
        grid: trialGrid(trials),
        curves: curvesPanel(curves),
        workers: workersTable(workers),
        figures: figuresPanel(figures, missingLines(asBestRows(trials)), `${base}/report.md`),
      },
    };
  };

  /** Server-sent events: a `snapshot` with every part whenever one changed (polled). */
  const events = (c: Context, load: () => Promise<Record<string, string>>) =>
    streamSSE(c, async (stream) => {
      let last = "";
      while (!stream.aborted) {
        try {
          const data = JSON.stringify({ parts: await load() });
          if (data !== last) await stream.writeSSE({ event: "snapshot", data });
          else await stream.write(": keep-alive\n\n");
          last = data;
        } catch (e) {
          await stream.writeSSE({ event: "failure", data: JSON.stringify({ error: (e as Error).message }) });
        }
        await stream.sleep(pollMs);
      }
    });

  app.get("/healthz", (c) => c.json({ ok: true }));

  app.get("/", async (c) => {
    const parts = await indexParts();
    const queues = parts.queues !== undefined ? `<h2>Queues</h2><div id="queues">${parts.queues}</div>` : "";
    const body = `<h1>Sweeps</h1><div id="sweeps">${parts.sweeps}</div><h2>Workers</h2><div id="workers">${parts.workers}</div>${queues}`;
    return c.html(page({ title: "sweeps", body, events: "/events" }));
  });
  app.get("/events", (c) => events(c, indexParts));

  app.get("/sweeps/:ref", async (c) => {
    const { sweep, parts } = await sweepParts(c.req.param("ref"));
    const ref = enc(sweepRef(sweep));
    const actions = opts.token
      ? `<p><button onclick="ptuneAction('/api/sweeps/${ref}/cancel','cancel')">cancel sweep</button> <button onclick="ptuneAction('/api/sweeps/${ref}/retry-failed','retry failed trials')">retry failed</button></p>`
      : "";
    const body = `<h1>Sweep ${esc(sweep.name)}${sweep.version > 1 ? ` <span class="muted">v${sweep.version}</span>` : ""}</h1><p id="summary">${parts.summary}</p>${actions}
<h2>Trials</h2><div id="grid">${parts.grid}</div>
<h2>Training curves</h2><div id="curves">${parts.curves}</div>
<h2>Workers</h2><div id="workers">${parts.workers}</div>
<h2>Figures</h2><div id="figures">${parts.figures}</div>`;
    return c.html(page({ title: sweep.name, body, events: `/sweeps/${ref}/events` }));
  });
  app.get("/sweeps/:ref/events", (c) => events(c, async () => (await sweepParts(c.req.param("ref"))).parts));

  // Any file of the rendered report: figures (SVG, PNG, Vega-Lite spec), CSV series, report.md.
  app.get("/sweeps/:ref/files/*", async (c) => {
    const sweep = await resolveSweep(db, c.req.param("ref"));
    const prefix = `/sweeps/${c.req.param("ref")}/files/`;
    const rel = decodeURIComponent(new URL(c.req.url).pathname).slice(decodeURIComponent(prefix).length);
    const { report } = await cache.get(sweep);
    const file = report.files.find((f) => f.path === rel);
    if (!file) return c.text(`no report file '${rel}'`, 404);
    const type = rel.endsWith(".svg") ? "image/svg+xml" : rel.endsWith(".png") ? "image/png" : rel.endsWith(".csv") ? "text/csv; charset=utf-8" : rel.endsWith(".json") ? "application/json" : "text/markdown; charset=utf-8";
    return c.body(typeof file.contents === "string" ? file.contents : new Uint8Array(file.contents), 200, { "content-type": type, "cache-control": "no-cache" });
  });

  app.get("/api/sweeps", async (c) => c.json(await listSweeps(db)));
  app.get("/api/sweeps/:ref", async (c) => {
    const sweep = await resolveSweep(db, c.req.param("ref"));
    return c.json({ sweep, trials: await trialCells(db, String(sweep.id)) });
  });
  app.get("/api/workers", async (c) => c.json(await listWorkers(db)));
  if (backend) app.get("/api/queues", async (c) => c.json(await queueCounts(db, backend)));

  // Write actions: token required; without one configured the dashboard stays read-only.
  app.use("/api/*", async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    if (!opts.token) return c.json({ error: "the dashboard is read-only: set PTUNE_DASHBOARD_TOKEN to enable actions" }, 403);
    if (!tokenMatches(c.req.header("authorization"), opts.token)) return c.json({ error: "missing or wrong bearer token (Authorization: Bearer $PTUNE_DASHBOARD_TOKEN)" }, 401);
    return next();
  });
  app.post("/api/sweeps/:ref/cancel", async (c) => c.json(await cancelSweepAction(db, backend, c.req.param("ref"))));
  app.post("/api/sweeps/:ref/retry-failed", async (c) => c.json(await retryFailedAction(db, backend, c.req.param("ref"))));

  if (backend) mountBullBoard(app, { db, backend, queueName: queueNameFor, basePath: "/queues" });
  else app.get("/queues", (c) => c.html(page({ title: "queues", body: `<h1>Queues</h1><p class="muted">No queue backend configured: start the dashboard with REDIS_URL set (or the local Postgres backend) to see Bull Board here.</p>` })));

  return {
    app,
    listen({ port = 0, hostname = "127.0.0.1" } = {}) {
      if (!isLoopback(hostname)) {
        if (!opts.token) return Promise.reject(new Error(`refusing to listen on ${hostname} without a token: anyone on the network could read every sweep; set PTUNE_DASHBOARD_TOKEN (16+ characters) or bind 127.0.0.1`));
      }
      return new Promise((resolve) => {
        const server = serve({ fetch: app.fetch, port, hostname }, (info: AddressInfo) => {
          resolve({
            url: `http://${hostname}:${info.port}`,
            port: info.port,
            close: () => new Promise<void>((done) => {
              (server as unknown as { closeAllConnections?(): void }).closeAllConnections?.(); // SSE streams never end on their own
              server.close(() => done());
            }),
          });
        });
      });
    },
  };
}
