// A one-line download progress bar for a terminal (redrawn at most 10 times a second), or one line
// per file when stderr is not a TTY (worker logs).
import type { OnProgress } from "./download.ts";

const mb = (n: number) => (n / 1e6).toFixed(1);

export function progressBar(out: NodeJS.WriteStream = process.stderr): OnProgress {
  let last = 0;
  let started = Date.now();
  let current = "";
  return ({ file, done, total }) => {
    if (file !== current) {
      current = file;
      started = Date.now();
      last = 0;
    }
    const end = done >= total;
    const now = Date.now();
    if (!end && now - last < 100) return;
    last = now;
    if (!out.isTTY) {
      if (end) out.write(`${file}: ${mb(total)} MB\n`);
      return;
    }
    const frac = total ? done / total : 1;
    const width = 30;
    const bar = "#".repeat(Math.round(frac * width)).padEnd(width, ".");
    const rate = done / Math.max(0.001, (now - started) / 1000);
    out.write(`\r${file.slice(-40).padEnd(40)} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${mb(done)}/${mb(total)} MB ${mb(rate)} MB/s${end ? "\n" : ""}`);
  };
}
