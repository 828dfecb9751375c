// What a thrown error means for a trial: the ONE place that decides whether it spends one of the
// trial's attempts. Used on the worker's main thread (trial-worker.ts), where the sandbox's error
// arrives as a plain Error with its own properties copied (BullMQ child-processor.js errorToJSON:
// `name`, `message`, `code`, `stack` survive; the class does not), so classification reads names,
// codes and messages only.
//
//  - infrastructure: Postgres or Redis unreachable, restarting, a connection reset. Nothing about
//    the trial is wrong: back off (exponential, capped) and resume from the checkpoint, attempts
//    untouched (issue 10: a 20 s Postgres outage spent 3 attempts in 16 s).
//  - input: deterministic errors of the trial's inputs (checkpoint, config.json, tokenizer, data,
//    limits). A retry fails the same way: the trial fails at once, its message stored.
//  - trainer: anything else thrown while training: retried with BullMQ's attempts and backoff.
// A trainer-REPORTED failure (non-finite loss) never gets here: the processor records it and
// throws UnrecoverableError (final, one attempt).

export type FailureKind = "infrastructure" | "input" | "trainer";

export interface ErrorLike {
  name?: string;
  message?: string;
  code?: string | number;
  errors?: unknown[];
  cause?: unknown;
}

/** Node socket/DNS errors that say "the other side is not there (now)". */
const NET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ENETDOWN", "ECONNABORTED", "ESOCKETTIMEDOUT"]);

/**
 * PostgreSQL SQLSTATEs of an unavailable server (errcodes-appendix): class 08 (connection
 * exception), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now ("the
 * database system is starting up"), 53300 too_many_connections; Prisma P1001 (can't reach),
 * P1002 (timed out), P1017 (server closed the connection).
 */
const PG_CODE = /^(08\d\d\d|57P0[123]|53300|P1001|P1002|P1017)$/;

const INFRA_MESSAGE = [
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)\b/,
  /the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)/i,
  /terminating connection due to administrator command/i,
  /Connection terminated( unexpectedly| due to connection timeout)?/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Can't reach database server/i,
  /server closed the connection unexpectedly/i,
  /Connection is closed\.?$/i, // ioredis
  /Stream isn't writeable/i, // ioredis, enableOfflineQueue: false
  /MaxRetriesPerRequestError|Reached the max retries per request limit/i,
  /LOADING Redis is loading the dataset in memory/i,
  /: cannot reach https?:\/\//i, // @ptune/t5 hub: the hub (HF_ENDPOINT) is unreachable
  /: HTTP (5\d\d|429)\b/, // @ptune/t5 hub: a server error or rate limit is transient
];

/** Error classes of deterministic input problems, by name (@ptune/t5, @ptune/tasks, @ptune/trainer, processor). */
const INPUT_NAMES = new Set([
  "T5ConfigError",
  "CheckpointError",
  "SafetensorsError",
  "TorchFormatError", // pytorch_model.bin (@ptune/t5 checkpoint/torch)
  "PickleError", // a refused pickle global or opcode
  "ZipError", // a truncated or damaged .bin zip
  "HubError", // an hf: reference that cannot resolve (offline and not cached, 401/404); a network failure under it is infrastructure (its cause)
  "SweepError",
  "TokenizerError",
  "RecordError",
  "TaskDataError",
  "ModelTooLargeError",
  "UnsupportedSettingError",
  "TrialConfigError", // an invalid trials.config (the processor records the field; H2)
  "BatchError",
  "PreflightError",
  "ZodError",
]);

const INPUT_MESSAGE = [
  /Invalid typed array length/i, // a prompt/input far beyond the model (prompt_length: 100000)
  /Array buffer allocation failed/i,
  /Invalid array length/i,
  /^ENOENT\b|no such file or directory/i, // a missing checkpoint / data file
];

function flatten(e: unknown, depth = 0): ErrorLike[] {
  if (!e || typeof e !== "object" || depth > 3) return typeof e === "string" ? [{ message: e }] : [];
  const x = e as ErrorLike;
  const out: ErrorLike[] = [x];
  // AggregateError (Node's happy-eyeballs connect to ::1 and 127.0.0.1) and Error.cause chains
  if (Array.isArray(x.errors)) for (const inner of x.errors) out.push(...flatten(inner, depth + 1));
  if (x.cause) out.push(...flatten(x.cause, depth + 1));
  return out;
}

/** Classifies an error (or its serialised copy from the sandbox) into what the worker should do. */
export function classifyFailure(e: unknown): FailureKind {
  const parts = flatten(e);
  for (const p of parts) {
    const code = p.code === undefined ? "" : String(p.code);
    if (NET_CODES.has(code) || PG_CODE.test(code)) return "infrastructure";
    if (INFRA_MESSAGE.some((re) => re.test(p.message ?? ""))) return "infrastructure";
  }
  for (const p of parts) {
    if (p.name && INPUT_NAMES.has(p.name)) return "input";
    if (p.code === "ENOENT" || INPUT_MESSAGE.some((re) => re.test(p.message ?? ""))) return "input";
  }
  return "trainer";
}

/** The error's one-line message (what is stored in trials.error). */
export function failureMessage(e: unknown): string {
  if (e && typeof e === "object") {
    const x = e as ErrorLike;
    const msg = x.message || (Array.isArray(x.errors) ? x.errors.map((i) => (i as ErrorLike)?.message).filter(Boolean).join("; ") : "");
    return `${x.name && x.name !== "Error" ? `${x.name}: ` : ""}${msg || String(x.code ?? "unknown error")}`;
  }
  return String(e);
}

export interface BackoffPolicy {
  /** first delay, ms */
  baseMs: number;
  /** the cap, ms */
  maxMs: number;
}

/** 1 s, 2 s, 4 s ... capped at 30 s: an outage of any length is waited out without spinning. */
export const infraBackoff: BackoffPolicy = { baseMs: 1_000, maxMs: 30_000 };

/** Delay before the n-th (0-based) infrastructure retry of a job. */
export function backoffDelay(n: number, policy: BackoffPolicy = infraBackoff): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(n, 30)));
}
