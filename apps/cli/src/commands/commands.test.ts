// The registry (index.ts) against the command files it loads, and the help every command prints.
import { describe, expect, it } from "vitest";
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
    expect(() => parseCommandArgs(run, ["s.yaml", "--concurrency"])).toThrow(/^option --concurrency needs a value; see 'ptune run --help'$/);
  });
});
