// Local mode's home with real processes: a command that finds no local database says where it
// looked and creates nothing; the embedded PostgreSQL is shared by every process on the home and
// stopped by the last one to leave, whichever started it (closing the dashboard that started it
// leaves it running for the others). And Ctrl-C in `ptune run`: the first checkpoints and
// releases the running trials, the second exits at once.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../../../tooling/test-env.ts";

const base = mkdtempSync(path.join(tmpdir(), "ptune-home-"));
chmodSync(base, 0o755); // as root the embedded server runs as `postgres`, which must enter it
const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  rmSync(base, { recursive: true, force: true });
});

type Proc = ChildProcess & { out: string; err: string; exited: Promise<number | null>; signal?: NodeJS.Signals | null };

const bin = path.join(repoRoot, "apps/cli/bin/ptune.js");

function start(args: string[], env: NodeJS.ProcessEnv = {}, command: string[] = [process.execPath, bin, ...args]): Proc {
  const e: NodeJS.ProcessEnv = { ...process.env, PTUNE_CACHE_DIR: path.join(base, "cache"), ...env };
  delete e.DATABASE_URL; // local mode
  delete e.REDIS_URL;
  if (!("PTUNE_HOME" in env)) delete e.PTUNE_HOME;
  const p = spawn(command[0]!, command.slice(1), { env: e, cwd: base }) as Proc;
  p.out = "";
  p.err = "";
  p.stdout!.on("data", (d) => (p.out += d));
  p.stderr!.on("data", (d) => (p.err += d));
  p.exited = new Promise((r) => p.on("close", (code, signal) => ((p.signal = signal), r(code))));
  procs.push(p);
  return p;
}

async function ptune(args: string[], env: NodeJS.ProcessEnv = {}) {
  const p = start(args, env);
  const code = await p.exited;
  return { code, stdout: p.out, stderr: p.err };
}

/** Polls `probe`; fails at once when `proc` (the process expected to get there) has exited. */
async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 120_000, proc?: Proc): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (proc && (proc.exitCode !== null || proc.signalCode !== null)) throw new Error(`waiting for ${what}: the process exited (${proc.exitCode ?? proc.signalCode}): ${proc.err}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${proc?.err ?? ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The live postmaster's pid on a home, or null. */
function serverPid(home: string): number | null {
  const f = path.join(home, "pg", "postmaster.pid");
  if (!existsSync(f)) return null;
  const pid = Number(readFileSync(f, "utf8").split("\n")[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

describe("local mode's home", () => {
  it("a reading command finds no database: says where it looked, creates nothing", async () => {
    const home = path.join(base, "empty");
    const viaFlag = await ptune(["status", "--home", home]);
    expect(viaFlag.code).toBe(1);
    expect(viaFlag.stderr.trim()).toBe(
      `ptune status: no local database in ${path.join(home, "pg")}: local mode keeps its data in PTUNE_HOME (now ${home}); run a sweep there first (ptune run <sweep.yaml>), point elsewhere with --home DIR or PTUNE_HOME=DIR, or set DATABASE_URL`,
    );
    const viaEnv = await ptune(["trials", "some-sweep"], { PTUNE_HOME: home });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).toContain(`no local database in ${path.join(home, "pg")}`);
    expect(existsSync(home)).toBe(false);
  }, 120_000);

  it("the last process to leave stops the shared server, whichever started it", async () => {
    const home = path.join(base, "shared");
    const migrated = await ptune(["db", "migrate", "--home", home, "--json"]);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(existsSync(path.join(home, "pg", "PG_VERSION"))).toBe(true);
    expect(serverPid(home)).toBeNull(); // db migrate was the only user

    const first = start(["dashboard", "--port", "0", "--home", home, "--json"]);
    await until("the first dashboard", () => first.out.includes('"ok":true'), 120_000, first);
    const pid = serverPid(home);
    expect(pid).toEqual(expect.any(Number));
    const second = start(["dashboard", "--port", "0", "--home", home, "--json"]);
    await until("the second dashboard", () => second.out.includes('"ok":true'), 120_000, second);
    expect(serverPid(home)).toBe(pid); // joined, not a second server

    first.kill("SIGINT"); // the dashboard that started the server leaves
    expect(await first.exited, first.err).toBe(0);
    expect(serverPid(home)).toBe(pid);
    const status = await ptune(["status", "--home", home]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("no sweeps yet");

    second.kill("SIGINT"); // the last user leaves: the server stops
    expect(await second.exited, second.err).toBe(0);
    await until("the server to stop", () => serverPid(home) === null, 30_000);
  }, 300_000);
});

describe("Ctrl-C in ptune run", () => {
  // Long enough that a trial is still running when the signal comes.
  const sweep = (name: string) => `
name: ${name}
models:
  nano: { checkpoint: ./models/t5-nano, preset: t5-nano, gpu_memory_gb: 0.5 }
grid: { model: [nano], task: [synthetic], prompt_length: [4], init: [random_uniform], seed: [0, 1] }
training: { batch_size: 4, steps: 100000, eval_every: 100000, checkpoint_every: 1000, max_input_length: 64, max_target_length: 8 }
`;
  const running = (p: Proc) =>
    p.out.split("\n").some((l) => l.startsWith('{"event":"progress"') && JSON.parse(l).running.length > 0);

  it("the first checkpoints and releases the running trials, then exits", async () => {
    const home = path.join(base, "ctrl-c");
    const file = path.join(base, "ctrl-c.yaml");
    writeFileSync(file, sweep("ctrl-c"));
    const run = start(["run", file, "--home", home, "--interval", "1", "--json"]);
    await until("a trial to train", () => running(run), 240_000, run);
    run.kill("SIGINT");
    expect(await run.exited, run.err).toBe(130);
    expect(run.err).toMatch(/stopping: checkpointing 1 running trial… \(Ctrl-C again to exit at once\)/);
    expect(run.err).toMatch(/stopped: 0\/2 trials finished, 2 left in the queue; 'ptune run .*ctrl-c\.yaml' resumes them/);
    const trials = await ptune(["trials", "ctrl-c", "--home", home, "--json"]);
    expect(trials.code, trials.stderr).toBe(0);
    expect(JSON.parse(trials.stdout).map((t: { state: string }) => t.state)).toEqual(["queued", "queued"]);
    await until("the server to stop", () => serverPid(home) === null, 30_000);
  }, 400_000);

  it("the second exits at once", async () => {
    const home = path.join(base, "ctrl-c-twice");
    const file = path.join(base, "ctrl-c-twice.yaml");
    writeFileSync(file, sweep("ctrl-c-twice"));
    const run = start(["run", file, "--home", home, "--interval", "1", "--json"]);
    await until("a trial to train", () => running(run), 240_000, run);
    run.kill("SIGINT");
    await until("the first stop message", () => run.err.includes("stopping: checkpointing"));
    const t = Date.now();
    run.kill("SIGINT");
    // it dies of the SIGINT itself (a shell reports 130), not of an abort in a sandbox thread
    // (process.exit with a thread inside onnxruntime: SIGABRT, 134)
    const code = await run.exited;
    expect({ code, signal: run.signal }, `stderr: ${run.err.slice(-3000)}`).toEqual({ code: null, signal: "SIGINT" });
    expect(Date.now() - t).toBeLessThan(3000);
    expect(run.err).toContain("stopping now");
  }, 400_000);

  it("in a terminal, the progress block is redrawn in place; Ctrl-C typed there stops the run", async () => {
    const home = path.join(base, "tty");
    const file = path.join(base, "tty.yaml");
    writeFileSync(file, sweep("tty"));
    // util-linux `script` runs the command on a real pseudo-terminal; what we write to its stdin
    // is typed there, so \x03 is a Ctrl-C the terminal turns into SIGINT for ptune.
    // (`script` with a piped stdin makes a 0x0 terminal: give it a size, as a terminal window has)
    const shell = `stty rows 40 cols 160; ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} run ${JSON.stringify(file)} --home ${JSON.stringify(home)} --interval 1`;
    const term = start([], {}, ["script", "-qfec", shell, "/dev/null"]);
    await until("three redraws of a running trial", () => (term.out.match(/1 running/g)?.length ?? 0) >= 3, 240_000, term);
    // log-update erases the previous block (ESC[2K erase line, ESC[1A cursor up) before each redraw
    expect(term.out).toContain("\x1b[2K");
    expect(term.out).toContain("\x1b[1A");
    term.stdin!.write("\x03");
    await until("the stop message", () => term.out.includes("stopping: checkpointing 1 running trial"), 60_000, term);
    expect(await term.exited).toBe(130);
    expect(term.out).toMatch(/stopped: 0\/2 trials finished/);
  }, 400_000);
});
