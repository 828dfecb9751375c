// The one place @ptune/queue (and the CLI commands on it) read the environment.
// Validated with zod; a bad or missing variable fails with ONE line naming it.
import os from "node:os";
import path from "node:path";
import { z } from "zod";

const url = (protocols: string[], example: string) =>
  z
    .string()
    .trim()
    .min(1)
    .refine((v) => protocols.some((p) => v.startsWith(p)), { message: `expected a URL like ${example}` });

const schema = z.object({
  DATABASE_URL: url(["postgres://", "postgresql://"], "postgresql://user@host:5432/db").optional(),
  REDIS_URL: url(["redis://", "rediss://"], "redis://127.0.0.1:6379").optional(),
  PTUNE_CACHE_DIR: z.string().trim().min(1).optional(),
  PTUNE_DEVICE: z.enum(["cpu", "cuda"], { message: "expected 'cpu' or 'cuda'" }).optional(),
});

export interface QueueEnv {
  DATABASE_URL?: string;
  REDIS_URL?: string;
  /** Where built graphs / converted weights go; never inside ../shared (ENVIRONMENT.md). */
  PTUNE_CACHE_DIR: string;
  PTUNE_DEVICE: "cpu" | "cuda";
}

export class EnvError extends Error {
  override name = "EnvError";
}

/** Parses the variables this package uses; empty strings count as unset. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): QueueEnv {
  const picked = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [k, source[k] === "" ? undefined : source[k]]),
  );
  const r = schema.safeParse(picked);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new EnvError(`environment variable ${String(issue.path[0])}: ${issue.message} (got '${String(picked[issue.path[0] as string])}')`);
  }
  return {
    ...r.data,
    PTUNE_CACHE_DIR: r.data.PTUNE_CACHE_DIR ?? path.join(os.homedir(), ".cache", "ptune"),
    PTUNE_DEVICE: r.data.PTUNE_DEVICE ?? "cpu",
  };
}

/** The value of a variable a command cannot run without, or a clear error saying how to set it. */
export function requireEnv<K extends "DATABASE_URL" | "REDIS_URL">(env: QueueEnv, key: K, why: string): string {
  const v = env[key];
  if (!v) throw new EnvError(`environment variable ${key} is not set (${why}); e.g. export ${key}=${key === "REDIS_URL" ? "redis://127.0.0.1:6379" : "postgresql://postgres@127.0.0.1:5432/ptune"}`);
  return v;
}
