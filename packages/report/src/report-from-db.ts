// One call for the CLI and the dashboard: read a sweep's rows from Postgres, render, write.
import { openDb, type Db } from "@ptune/db";
import { loadReference } from "./reference.ts";
import { renderReport, writeReport, type RenderedReport, type RenderOptions } from "./render-report.ts";
import { loadReportInput } from "./sql-source.ts";

export interface ReportFromDbOptions extends RenderOptions {
  db: Db | string; // an open @ptune/db handle, or a postgresql:// URL (opened and closed here)
  sweep: string; // name (its latest version), name@version, or id
  task?: string;
  outDir?: string; // write the files here when given
}

export async function reportFromDatabase(opts: ReportFromDbOptions): Promise<RenderedReport & { sweep: { id: string; name: string; version?: number } }> {
  const owned = typeof opts.db === "string" ? openDb(opts.db, { max: 4 }) : null;
  try {
    const input = await loadReportInput(owned ?? (opts.db as Db), opts.sweep, { task: opts.task });
    const rendered = await renderReport({ ...input, reference: loadReference() }, opts);
    if (opts.outDir) await writeReport(opts.outDir, rendered.files);
    return { ...rendered, sweep: input.sweep };
  } finally {
    await owned?.close();
  }
}
