// Issue 10: the dashboard binds 127.0.0.1 by default; a non-loopback bind needs a token, and then
// every page and API read needs it too (the entry bound 0.0.0.0 and served sweeps, trials, workers
// and Redis stats to anyone).
import { randomBytes } from "node:crypto";
import { dropDatabase, ensureDatabase, migrate, openDb, type Db } from "@ptune/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabaseUrl } from "../../../tooling/test-env.ts";
import { createServer } from "../src/index.ts";
import { isLoopback } from "../src/server.ts";

const TOKEN = "bind-token-0123456789abcdef";
let url: string;
let db: Db;
beforeAll(async () => {
  const u = new URL(testDatabaseUrl);
  u.pathname = `/ptune_bind_${randomBytes(4).toString("hex")}`;
  url = u.toString();
  await ensureDatabase(url);
  await migrate(url);
  db = openDb(url, { max: 2 });
});
afterAll(async () => {
  await db?.close();
  if (url) await dropDatabase(url);
});

describe("dashboard bind and token", () => {
  it("knows loopback addresses", () => {
    for (const h of ["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"]) expect(isLoopback(h)).toBe(true);
    for (const h of ["0.0.0.0", "::", "10.0.0.5", "example.org"]) expect(isLoopback(h)).toBe(false);
  });

  it("listens on 127.0.0.1 by default", async () => {
    const s = await createServer({ db }).listen();
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await s.close();
    }
  });

  it("refuses a non-loopback bind without a token", async () => {
    await expect(createServer({ db }).listen({ hostname: "0.0.0.0" })).rejects.toThrow(/refusing to listen on 0\.0\.0\.0 without a token/);
  });

  it("on a non-loopback bind with a token, reads need the token (header, or ?token= once then a cookie)", async () => {
    const s = await createServer({ db, token: TOKEN }).listen({ hostname: "0.0.0.0" });
    const base = `http://127.0.0.1:${s.port}`;
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      for (const p of ["/", "/api/sweeps", "/api/workers", "/queues"]) expect((await fetch(`${base}${p}`)).status, p).toBe(401);
      expect((await fetch(`${base}/api/sweeps`, { headers: { authorization: "Bearer wrong-token-0123456789ab" } })).status).toBe(401);
      const ok = await fetch(`${base}/api/sweeps`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual([]);
      const first = await fetch(`${base}/api/workers?token=${TOKEN}`, { redirect: "manual" });
      expect(first.status).toBe(303);
      expect(first.headers.get("location")).toBe("/api/workers");
      const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
      expect((await fetch(`${base}/api/workers`, { headers: { cookie } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it("on loopback with a token, reads need the token too (a shared host's other users reach 127.0.0.1)", async () => {
    const s = await createServer({ db, token: TOKEN }).listen();
    try {
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      for (const p of ["/", "/api/sweeps", "/api/workers"]) expect((await fetch(`${s.url}${p}`)).status, p).toBe(401);
      expect((await fetch(`${s.url}/api/sweeps`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it("without a token on loopback, reads are open and actions refused", async () => {
    const s = await createServer({ db }).listen();
    try {
      expect((await fetch(`${s.url}/api/sweeps`)).status).toBe(200);
      expect((await fetch(`${s.url}/api/sweeps/x/cancel`, { method: "POST" })).status).toBe(403);
    } finally {
      await s.close();
    }
  });
});
