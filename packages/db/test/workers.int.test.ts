// Worker heartbeats: every process registers its own id; those silent for 7 days are forgotten
// (forgetSilentWorkers, run by the reconciler), the others stay.
import { describe, expect, it } from "vitest";
import { forgetSilentWorkers, FORGET_WORKERS_AFTER_MS, heartbeatWorker, listWorkers, type Db } from "../src/index.ts";
import { useFreshDb } from "./helpers.ts";

let db: Db;
useFreshDb("workers", (d) => void (db = d));

describe("workers", () => {
  it("forgets workers silent for 7 days, keeps the recent and the live", async () => {
    const hb = (id: string) => heartbeatWorker(db, { id, host: "h", devices: [], sizes: ["small"], state: "idle" });
    await Promise.all(["live", "yesterday", "last-month"].map(hb));
    const ago = (ms: number) => new Date(Date.now() - ms);
    await db.prisma.worker.update({ where: { id: "yesterday" }, data: { heartbeatAt: ago(24 * 3600 * 1000) } });
    await db.prisma.worker.update({ where: { id: "last-month" }, data: { heartbeatAt: ago(FORGET_WORKERS_AFTER_MS + 3600 * 1000) } });
    expect(await forgetSilentWorkers(db)).toBe(1);
    expect((await listWorkers(db)).map((w) => w.id)).toEqual(["live", "yesterday"]);
    expect(await forgetSilentWorkers(db)).toBe(0); // idempotent
  });
});
