// Ending the process at once without process.exit() (importable alone: `@ptune/queue/exit`, no
// BullMQ or database import, so the CLI's entry can use it for a closed pipe).
import os from "node:os";

/**
 * Ends the process at once, as killed by `sig` (a shell reports 128 + its number: 130 for SIGINT,
 * 141 for SIGPIPE, 143 for SIGTERM): the signal's default action is restored and the signal
 * re-raised, so the kernel ends the process (https://www.cons.org/cracauer/sigint.html: a program
 * that stops on SIGINT should die of it; coreutils die of SIGPIPE when their reader goes away).
 * Not process.exit(): it terminates the sandbox threads, and one inside an onnxruntime-node call
 * then aborts the whole process ("terminate called after throwing an instance of 'Napi::Error'",
 * SIGABRT, exit 134 — 29 of 30 times with a thread mid-run; packages/queue/test/exit-by-signal).
 */
export function exitBySignal(sig: NodeJS.Signals): void {
  // libuv sets the default action when a signal's last listener goes, even for one Node ignores
  // (SIGPIPE) or one inherited as ignored: add one so that removing them all does that
  process.on(sig, () => undefined);
  process.removeAllListeners(sig);
  process.kill(process.pid, sig); // delivered to this (unblocked) thread before kill returns
  // not reached while the default action is to terminate; the closest exit code otherwise
  setTimeout(() => process.exit(128 + (os.constants.signals[sig] ?? 1)), 100).unref();
}
