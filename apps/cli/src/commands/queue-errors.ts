// The errors of the queue commands a user can act on, as ONE clear line each (CliError): a bad
// sweep (every problem, file:line:col), a failed preflight, a missing variable, an unreachable
// Postgres or Redis. Every message goes through @ptune/db redactUrl: no password is printed.
import { redactUrl } from "@ptune/db";
import { classifyFailure, EnvError, failureMessage, PreflightError, QueueUnavailableError } from "@ptune/queue";
import { formatProblem, SweepError } from "@ptune/sweep";
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
