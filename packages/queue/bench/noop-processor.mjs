// A sandboxed processor that does nothing: measures the queue's own cost per job.
export default async function () {
  return { outcome: "completed" };
}
