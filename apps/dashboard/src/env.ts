// The one place the dashboard reads the environment (zod-validated; one line per bad variable).
import { z } from "zod";

const schema = z.object({
  DATABASE_URL: z.string().trim().regex(/^postgres(ql)?:\/\//, "expected a URL like postgresql://user@host:5432/ptune").optional(),
  REDIS_URL: z.string().trim().regex(/^rediss?:\/\//, "expected a URL like redis://127.0.0.1:6379").optional(),
  PTUNE_DASHBOARD_TOKEN: z.string().min(16, "expected at least 16 characters (it guards cancel/retry)").optional(),
  PTUNE_DASHBOARD_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** default 127.0.0.1; any other address needs PTUNE_DASHBOARD_TOKEN (server.ts) */
  PTUNE_DASHBOARD_HOST: z.string().trim().min(1).optional(),
});

export type DashboardEnv = z.output<typeof schema>;

export function readDashboardEnv(source: NodeJS.ProcessEnv = process.env): DashboardEnv {
  const picked = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, source[k] === "" ? undefined : source[k]]));
  const r = schema.safeParse(picked);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const key = String(issue.path[0]);
    throw new Error(`environment variable ${key}: ${issue.message}`);
  }
  return r.data;
}
