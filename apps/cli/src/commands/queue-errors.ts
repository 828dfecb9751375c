// The errors of the queue commands a user can act on, as ONE clear line each (CliError): a bad
// sweep (every problem, file:line:col), a failed preflight, a missing variable, an unreachable
// Postgres or Redis. Every message goes through @ptune/db redactUrl: no password is printed.
import { redactUrl } from "@ptune/db";
import { classifyFailure, EnvError, failureMessage, preflightSweep, PreflightError, QueueUnavailableError } from "@ptune/queue";
import { formatProblem, MAX_TRIALS, SweepError, type SweepSpec, type Trial } from "@ptune/sweep";
import { CliError } from "../command.ts";

/** Every problem of a SweepError (`problems` when the parser reports them all, else the error itself). */
export function sweepProblemLines(e: SweepError): string[] {
  return e.problems?.length ? e.problems.map(formatProblem) : [e.message];
}

/** Maps a user-fixable error to a CliError; anything else is returned unchanged. */
export function queueCommandError(e: unknown): unknown {
  if (e instanceof CliError) return e;
  if (e instanceof SweepError) return new CliError(redactUrl(sweepProblemLines(e).join("\n")));
  if (e instanceof PreflightError) return new CliError(redactUrl(`preflight found ${e.problems.length} problem(s); nothing was written:\n${e.message}`));
  if (e instanceof EnvError || e instanceof QueueUnavailableError) return new CliError(redactUrl(e.message));
  if (classifyFailure(e) === "infrastructure") {
    return new CliError(redactUrl(`cannot reach the database or the queue (${failureMessage(e)}); check DATABASE_URL / REDIS_URL and that the servers run; nothing was queued`));
  }
  return e;
}

/** `--max-trials N` (default 100,000; `_` and `,` separators allowed). */
export function maxTrialsOption(v: unknown): number {
  if (v === undefined) return MAX_TRIALS;
  const s = String(v).replace(/[_,]/g, "");
  if (!/^\d+$/.test(s) || Number(s) < 1) throw new CliError(`--max-trials must be an integer >= 1, got '${String(v)}'`, 2);
  return Number(s);
}

/** The preflight of `ptune run` (submit runs it inside submitSweepFile): its trials, or one CliError listing every problem. */
export async function preflightOrThrow(spec: SweepSpec, file: string, maxTrials: unknown): Promise<Trial[]> {
  const r = await preflightSweep(spec, { file, maxTrials: maxTrialsOption(maxTrials) });
  if (r.problems.length || !r.trials) throw queueCommandError(new PreflightError(r));
  return r.trials;
}
