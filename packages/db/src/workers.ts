// Worker daemons report themselves here (upsert on their id) so `ptune status` and the
// dashboard can show who is alive, on what devices, serving which model sizes.
import { z } from "zod";
import type { Db } from "./db.ts";

const heartbeat = z.object({
  id: z.string().min(1),
  host: z.string().min(1),
  devices: z.array(z.unknown()),
  sizes: z.array(z.string().min(1)),
  state: z.string().min(1), // e.g. idle | busy | stopping | stopped
  trialId: z.string().min(1).nullish(),
});
export type WorkerHeartbeat = z.input<typeof heartbeat>;

export interface WorkerRow {
  id: string;
  host: string;
  devices: unknown[];
  sizes: string[];
  state: string;
  trialId: string | null;
  startedAt: Date;
  heartbeatAt: Date;
}

/** Records a worker's heartbeat (first call registers it). */
export async function heartbeatWorker(db: Db, hb: WorkerHeartbeat): Promise<void> {
  const r = heartbeat.safeParse(hb);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`heartbeatWorker: field '${issue.path.join(".")}': ${issue.message}`);
  }
  const w = r.data;
  const data = { host: w.host, devices: w.devices as object[], sizes: w.sizes, state: w.state, trialId: w.trialId ?? null, heartbeatAt: new Date() };
  await db.prisma.worker.upsert({ where: { id: w.id }, create: { id: w.id, ...data }, update: data });
}

/** Every known worker, most recent heartbeat first. */
export async function listWorkers(db: Db): Promise<WorkerRow[]> {
  const rows = await db.prisma.worker.findMany({ orderBy: { heartbeatAt: "desc" } });
  return rows.map((w) => ({ ...w, devices: w.devices as unknown[] }));
}

/** A worker silent this long is forgotten (its attempts keep its id). */
export const FORGET_WORKERS_AFTER_MS = 7 * 24 * 3600 * 1000;

/**
 * Deletes the workers whose last heartbeat is older than `silentForMs` (default 7 days): every
 * worker process registers its own id, so a cluster restarted for weeks would otherwise list
 * thousands of dead rows. Returns how many went. Run by the reconciler (@ptune/queue).
 */
export async function forgetSilentWorkers(db: Db, silentForMs = FORGET_WORKERS_AFTER_MS): Promise<number> {
  const r = await db.prisma.worker.deleteMany({ where: { heartbeatAt: { lt: new Date(Date.now() - silentForMs) } } });
  return r.count;
}
