// The processors stop the trainer through their own AbortController (so the DB-cancel poll can
// abort too); the job's signal, and in a pack each round's controller, follow another signal.

/**
 * Aborts `target` when `source` aborts (at once when it already has), with the source's reason,
 * or `fallback` when it has none. Returns the function that stops following.
 */
export function followAbort(source: AbortSignal | undefined, target: AbortController, fallback?: unknown): () => void {
  const onAbort = () => target.abort(source?.reason ?? fallback);
  if (source?.aborted) onAbort();
  else source?.addEventListener("abort", onAbort, { once: true });
  return () => source?.removeEventListener("abort", onAbort);
}
