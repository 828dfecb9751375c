// End to end: a real Postgres sweep in mid-flight, the dashboard server with a Redis queue backend,
// and headless Chromium (Debian `chromium` + playwright-core). Screenshots go to
// $PTUNE_ARTIFACTS_DIR (default: <tmp>/ptune-artifacts) for a person to look at.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdir, readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { claimAttempt, FencedWriter, getTrial } from "@ptune/db";
import { createBackend, type Backend } from "@ptune/queue";
import { queueNameFor } from "@ptune/sweep";
import { testRedisUrl } from "../../../tooling/test-env.ts";
import { createServer } from "../src/index.ts";
import { FINISHED_SWEEP, seedDashboardDb, type Seeded } from "./seed.ts";

const CHROMIUM = process.env.PTUNE_CHROMIUM ?? "/usr/bin/chromium";
const artifacts = process.env.PTUNE_ARTIFACTS_DIR ?? path.join(os.tmpdir(), "ptune-artifacts");
const TOKEN = "test-token-0123456789abcdef";

let seeded: Seeded;
let backend: Backend;
let server: { url: string; close(): Promise<void> };
let browser: Browser;

// Without Chromium these tests are skipped and say why; in CI (CI=true) that skip is a failure.
const missingBrowser = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found: install it (Debian: apt-get install -y chromium) or set PTUNE_CHROMIUM`;
const inCi = !!process.env.CI && !["0", "false"].includes(process.env.CI.toLowerCase());
const skipBrowser = !!missingBrowser && !inCi;
if (skipBrowser) console.warn(`skipping the dashboard's browser tests: ${missingBrowser}`);

beforeAll(async () => {
  if (skipBrowser) return;
  if (missingBrowser) throw new Error(`${missingBrowser} (CI=true: the browser tests may not be skipped)`);
  seeded = await seedDashboardDb("e2e");
  backend = createBackend({ redisUrl: testRedisUrl, prefix: `ptune-dash-${process.pid}-${Date.now().toString(36)}` });
  server = await createServer({ db: seeded.db, backend, token: TOKEN, pollMs: 300 }).listen();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  await mkdir(artifacts, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (backend) {
    for (const size of ["small", "base"]) await backend.queue(queueNameFor(size)).obliterate({ force: true }).catch(() => {});
    await backend.close();
  }
  await seeded?.drop();
});

describe.skipIf(skipBrowser)("dashboard in a browser", () => {
  it("shows the trial grid, a training curve and the figures, and updates live", async () => {
    const pageObj = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    // a dashboard with a token needs it for reads too: ?token= once sets the cookie
    await pageObj.goto(`${server.url}/sweeps/${seeded.sweep}?token=${TOKEN}`);
    // Grid: 16 trials, one chip each, coloured by state; completed chips hold the dev score.
    await expect(pageObj.locator("#grid .chip[data-trial]").count()).resolves.toBe(16);
    await expect(pageObj.locator("#grid .chip.s-completed[data-trial]").count()).resolves.toBe(8);
    await expect(pageObj.locator("#grid .chip.s-failed[data-trial]").count()).resolves.toBe(1);
    const score = await pageObj.locator('#grid .chip[data-trial="small-boolq-100-0"]').textContent();
    const stored = await getTrial(seeded.db, "small-boolq-100-0");
    expect(score).toBe(stored!.bestScore!.toFixed(1));
    // Curves of the two running trials, with as many points as their step_metrics rows.
    const curves = pageObj.locator("#curves .curve");
    await expect(curves.count()).resolves.toBe(2);
    const points = await pageObj.locator('#curves .curve[data-trial="base-boolq-20-0"] polyline.train').getAttribute("points");
    expect(points!.trim().split(/\s+/)).toHaveLength(25); // steps 0..120 every 5
    // Figures: the report's SVGs load in the page.
    await pageObj.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>("#figures img")].every((i) => i.complete && i.naturalWidth > 0));
    await expect(pageObj.locator("#figures img").count()).resolves.toBeGreaterThanOrEqual(2);
    await expect(pageObj.locator("#figures .missing").textContent()).resolves.toContain("model base: 0/8 trials finished");
    // Workers with their heartbeat and device; the one silent for an hour has aged out.
    await expect(pageObj.locator('#workers tr[data-worker="worker-a"]').textContent()).resolves.toContain("NVIDIA H100");
    await expect(pageObj.locator('#workers tr[data-worker="worker-dead"]').count()).resolves.toBe(0);
    await expect(pageObj.locator("#workers .aged-out").textContent()).resolves.toContain("1 worker(s) stopped or silent for over 15 min are not listed");
    await expect(pageObj.locator("#summary").textContent()).resolves.toMatch(/^sweep active · 16 trials/);
    // The dev axis of a training curve reads in round numbers.
    const ticks = await pageObj.locator('#curves .curve[data-trial="base-boolq-20-0"] text.tick.dev').allTextContents();
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    for (const t of ticks) expect(Number(t) % 1).toBe(0);
    // Server-sent events arrive.
    await pageObj.waitForFunction(() => document.getElementById("live")!.textContent!.startsWith("live"));
    const shot = path.join(artifacts, "dashboard-sweep.png");
    await pageObj.screenshot({ path: shot, fullPage: true });
    const png = await readFile(shot);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.byteLength).toBeGreaterThan(30_000);

    // A running trial finishes: its chip turns completed and the figures' version changes.
    const before = await pageObj.locator("#figures img").first().getAttribute("src");
    const claim = (await getTrial(seeded.db, "base-boolq-20-0"))!;
    const w = new FencedWriter(seeded.db, claim.id, claim.currentAttempt);
    await w.evaluation({ split: "dev", step: 150, metrics: { accuracy: 77.25 } });
    await w.finish({ state: "completed" });
    await pageObj.waitForSelector('#grid .chip.s-completed[data-trial="base-boolq-20-0"]', { timeout: 15_000 });
    await expect(pageObj.locator('#grid .chip[data-trial="base-boolq-20-0"]').textContent()).resolves.toBe("77.3");
    await pageObj.waitForFunction((src) => document.querySelector("#figures img")!.getAttribute("src") !== src, before, { timeout: 15_000 });
    await pageObj.screenshot({ path: path.join(artifacts, "dashboard-sweep-updated.png"), fullPage: true });
    await pageObj.close();
  });

  it("lists sweeps and mounts Bull Board at /queues", async () => {
    const pageObj = await browser.newPage();
    await pageObj.goto(`${server.url}/?token=${TOKEN}`);
    await expect(pageObj.locator(`#sweeps tr[data-sweep="${seeded.sweep}"]`).textContent()).resolves.toContain("9/16");
    // status from the trials: queued/running trials = active; all ended = finished
    await expect(pageObj.locator(`#sweeps tr[data-sweep="${seeded.sweep}"] td.status-active`).textContent()).resolves.toBe("active");
    await expect(pageObj.locator(`#sweeps tr[data-sweep="${FINISHED_SWEEP}"] td.status-finished`).textContent()).resolves.toBe("finished");
    // Bull Board's job counts, with pack jobs explained beside them
    await expect(pageObj.locator("#queues .pack-note").textContent()).resolves.toContain("A pack job (sweep pack: K) trains up to K compatible prompt-tuning trials together");
    await expect(pageObj.locator(`#queues tr[data-queue="${queueNameFor("small")}"]`).count()).resolves.toBe(1);
    const res = await pageObj.goto(`${server.url}/queues`);
    expect(res!.status()).toBe(200);
    await pageObj.waitForSelector(`text=${queueNameFor("small")}`, { timeout: 15_000 });
    await pageObj.screenshot({ path: path.join(artifacts, "dashboard-queues.png") });
    await pageObj.close();
  });

  it("requires the bearer token for actions; retry-failed re-queues the failed trial", async () => {
    const url = `${server.url}/api/sweeps/${seeded.sweep}/retry-failed`;
    expect((await fetch(url, { method: "POST" })).status).toBe(401);
    expect((await fetch(url, { method: "POST", headers: { authorization: "Bearer wrong-token-0123456789ab" } })).status).toBe(401);
    const ok = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { summary: { retried: number } }).summary.retried).toBe(1);
    expect((await getTrial(seeded.db, "base-rte-20-1"))!.state).toBe("queued");
    const job = await backend.queue(queueNameFor("base")).getJob("base-rte-20-1");
    expect(job?.data).toMatchObject({ trialId: "base-rte-20-1", model: "base" });
    // The worker side can claim it again.
    await expect(claimAttempt(seeded.db, "base-rte-20-1", "worker-b")).resolves.toMatchObject({ attempt: 2 });
  });

  it("is read-only without a token", async () => {
    const ro = await createServer({ db: seeded.db }).listen();
    try {
      const r = await fetch(`${ro.url}/api/sweeps/${seeded.sweep}/cancel`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
      expect(r.status).toBe(403);
      expect((await getTrial(seeded.db, "base-boolq-100-1"))!.state).toBe("queued");
      const missing = await fetch(`${ro.url}/sweeps/no-such-sweep`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain("no sweep named &#39;no-such-sweep&#39;"); // HTML-escaped
      // Without a backend, /queues explains how to get Bull Board instead of failing.
      expect(await (await fetch(`${ro.url}/queues`)).text()).toContain("No queue backend configured");
    } finally {
      await ro.close();
    }
  });
});
