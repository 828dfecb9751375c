// How `ptune run` shows a sweep's progress: in a terminal, one block redrawn in place (log-update:
// summary line + a line per running trial); piped or redirected, one plain summary line per
// update; with --json, one JSON object per update on stdout ({"event":"progress",...}).
import { createLogUpdate } from "log-update";
import type { Io } from "./command.ts";
import { progressLines, sweepLine, type SweepSnapshot } from "./render.ts";

export interface ProgressView {
  update(s: SweepSnapshot): void;
  /** Keeps the last block on screen; later output starts below it. */
  done(): void;
}

export function progressView(io: Io, stream: NodeJS.WriteStream = process.stdout): ProgressView {
  if (io.json) {
    return {
      update: (s) => io.out(JSON.stringify({ event: "progress", ...s })),
      done: () => {},
    };
  }
  // A terminal that reports no size (rows 0: some pseudo-terminals) cannot show a block either.
  if (!stream.isTTY || !stream.rows) {
    return { update: (s) => io.out(sweepLine(s)), done: () => {} };
  }
  const draw = createLogUpdate(stream, { showCursor: true });
  let drawn = false;
  return {
    update(s) {
      draw([sweepLine(s), ...progressLines(s.running)].join("\n"));
      drawn = true;
    },
    done() {
      if (drawn) draw.done();
      drawn = false;
    },
  };
}
