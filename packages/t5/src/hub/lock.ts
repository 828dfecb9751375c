// A per-repo download lock so two workers on one host fetch a model once: an O_EXCL lock file under
// <cache>/.locks/<repo folder>/ (where huggingface_hub keeps its own locks) holding "pid@host".
// A lock left by a dead process on this host is taken over; others are waited for.
import { mkdirSync, openSync, closeSync, writeSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

export async function withLock<T>(file: string, fn: () => Promise<T>, onWait?: (holder: string) => void): Promise<T> {
  mkdirSync(path.dirname(file), { recursive: true });
  const me = `${process.pid}@${os.hostname()}`;
  let waited = false;
  for (;;) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, me);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder = "";
      try {
        holder = readFileSync(file, "utf8");
      } catch {
        continue; // released between open and read
      }
      const [pid, host] = holder.split("@");
      if (host === os.hostname() && Number(pid) > 0 && !alive(Number(pid))) {
        rmSync(file, { force: true }); // stale: its owner died
        continue;
      }
      if (!waited) onWait?.(holder);
      waited = true;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}
