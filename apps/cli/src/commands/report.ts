// ptune report <sweep>: the paper's figures and tables for one sweep, from the database views.
import path from "node:path";
import { reportFromDatabase } from "@ptune/report";
import { CliError, type Command } from "../command.ts";
import { openSession } from "../database.ts";

export const command: Command = {
  name: "report",
  summary: "render a sweep's figures (SVG/PNG), CSV series and report.md from the database",
  usage: "ptune report <sweep | sweep@version | id> [--out <dir>] [--task <task>] [--no-png] [--json]",
  example: "ptune report quickstart --out reports/quickstart --task synthetic",
  options: {
    out: { type: "string", description: "output directory (default: reports/<sweep>)" },
    task: { type: "string", description: "only this task's figures (a task name, or superglue for the SuperGLUE average)" },
    "no-png": { type: "boolean", description: "write SVG only, no PNG" },
  },
  async run({ positionals, values }, io) {
    const [sweep, ...extra] = positionals;
    // a name means its latest version; name@2 an older one (prisma/README.md, "Sweep versions")
    if (!sweep || extra.length) throw new CliError(`expected one sweep name (its latest version), name@version or id\nusage: ${this.usage}`, 2);
    const outDir = path.resolve((values.out as string | undefined) ?? path.join("reports", sweep.replace(/[^A-Za-z0-9._-]+/g, "-")));
    // DATABASE_URL when set; otherwise local mode's embedded PostgreSQL (./.ptune/pg).
    const session = await openSession({ local: true, migrate: false });
    let r;
    try {
      r = await reportFromDatabase({ db: session.db, sweep, task: values.task as string | undefined, outDir, png: !values["no-png"] });
    } catch (e) {
      throw new CliError((e as Error).message);
    } finally {
      await session.close();
    }
    if (io.json) {
      io.out(JSON.stringify({ ok: true, sweep: r.sweep, outDir, report: path.join(outDir, "report.md"), figures: r.figures, missing: r.missing, files: r.files.map((f) => f.path) }));
      return 0;
    }
    const version = r.sweep.version && r.sweep.version > 1 ? ` version ${r.sweep.version}` : "";
    io.out(`report for sweep ${r.sweep.name}${version}: ${path.join(outDir, "report.md")}`);
    for (const f of r.figures) io.out(`  ${f.title}: ${path.join(outDir, f.files.png ?? f.files.svg)}`);
    if (r.figures.length === 0) io.out("  no figures yet");
    for (const m of r.missing) io.out(`  missing: ${m}`);
    return 0;
  },
};
