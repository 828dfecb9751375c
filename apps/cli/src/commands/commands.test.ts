// The registry (index.ts) against the command files it loads, and the help every command prints.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../../../tooling/test-env.ts";
import { commandHelp, parseCommandArgs, CliError } from "../command.ts";
import { commands, groups } from "./index.ts";

describe("command registry", () => {
  it("each entry loads the command of that name and summary", async () => {
    for (const e of commands) {
      const c = await e.load();
      expect(c.name, e.name).toBe(e.name);
      expect(c.summary, e.name).toBe(e.summary);
    }
  });

  it("every option of every command has a one-line description", async () => {
    for (const e of commands) {
      const c = await e.load();
      for (const [k, o] of Object.entries(c.options ?? {})) {
        expect(o.description, `ptune ${c.name} --${k}`).toMatch(/^[^\n]{8,}$/);
      }
      const help = commandHelp(c);
      for (const k of Object.keys(c.options ?? {})) expect(help).toContain(`--${k}`);
    }
  });

  it("every sub-command belongs to a known group", () => {
    for (const e of commands.filter((c) => c.name.includes(" "))) expect(Object.keys(groups)).toContain(e.name.split(" ")[0]);
  });

  it("an unknown or malformed flag is one line naming it", async () => {
    const run = await commands.find((c) => c.name === "run")!.load();
    const unknown = (() => {
      try {
        parseCommandArgs(run, ["s.yaml", "--concurrenc", "2"]);
      } catch (e) {
        return e as CliError;
      }
    })();
    expect(unknown).toBeInstanceOf(CliError);
    expect(unknown!.exitCode).toBe(2);
    expect(unknown!.message).toBe("unknown option --concurrenc (did you mean --concurrency?); see 'ptune run --help'");
    expect(() => parseCommandArgs(run, ["s.yaml", "--intervl", "2"])).toThrow(/^unknown option --intervl \(did you mean --interval\?\); see 'ptune run --help'$/);
    expect(() => parseCommandArgs(run, ["s.yaml", "--sizes", "a"])).toThrow(/^unknown option --sizes; see 'ptune run --help'$/);
    expect(() => parseCommandArgs(run, ["s.yaml", "--concurrency"])).toThrow(/^option --concurrency needs a value; see 'ptune run --help'$/);
  });
});

describe("examples", () => {
  // Every sweep, model and task an example names exists in sweeps/ (the examples a user copies).
  const texts = readdirSync(path.join(repoRoot, "sweeps")).filter((f) => f.endsWith(".yaml")).map((f) => readFileSync(path.join(repoRoot, "sweeps", f), "utf8"));
  const inSweeps = (name: string) => texts.some((t) => new RegExp(`(^|[\\s\\[,{])${name}(:|[\\s\\],}])`, "m").test(t));

  it("name sweeps, models and tasks that exist in sweeps/", async () => {
    for (const e of commands) {
      const c = await e.load();
      if (!c.example) continue;
      for (const [, flag, value] of c.example.matchAll(/--(sizes|model|task) ([^\s]+)/g)) {
        for (const name of value!.split(",")) expect(inSweeps(name), `${c.name} example: --${flag} ${name}`).toBe(true);
      }
      const sweep = /^ptune (?:status|trials|cancel|retry|report|ensemble) ([\w-]+)/.exec(c.example)?.[1];
      if (sweep) expect(texts.some((t) => t.includes(`name: ${sweep}`)), `${c.name} example: sweep ${sweep}`).toBe(true);
    }
  });
});
