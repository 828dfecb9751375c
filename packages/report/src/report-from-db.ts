// One call for the CLI and the dashboard: read a sweep's rows from Postgres, render, write.
import pg from "pg";
import { loadReference } from "./reference.ts";
import { renderReport, writeReport, type RenderedReport, type RenderOptions } from "./render-report.ts";
import { loadReportInput, type Queryable } from "./sql-source.ts";

export interface ReportFromDbOptions extends RenderOptions {
  db: Queryable | string; // a pg Pool/Client, or a postgresql:// URL (a pool is opened and closed)
  sweep: string; // name or id
  task?: string;
  outDir?: string; // write the files here when given
}

export async function reportFromDatabase(opts: ReportFromDbOptions): Promise<RenderedReport & { sweep: { id: string; name: string } }> {
  const pool = typeof opts.db === "string" ? new pg.Pool({ connectionString: opts.db, max: 4 }) : null;
  try {
    const input = await loadReportInput(pool ?? (opts.db as Queryable), opts.sweep, { task: opts.task });
    const rendered = await renderReport({ ...input, reference: loadReference() }, opts);
    if (opts.outDir) await writeReport(opts.outDir, rendered.files);
    return { ...rendered, sweep: input.sweep };
  } finally {
    await pool?.end();
  }
}
