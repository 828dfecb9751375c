// The report's figures for the dashboard, re-rendered only when a trial of the sweep finishes or
// improves (figuresVersion), so pages and the event stream can ask for them on every poll.
import type { Db } from "@ptune/db";
import { loadReference, reportFromDatabase, type RenderedReport } from "@ptune/report";
import { figuresVersion } from "./queries.ts";

export interface CachedReport {
  version: string;
  report: RenderedReport;
}

export class ReportCache {
  private readonly entries = new Map<string, { version: string; promise: Promise<RenderedReport> }>();

  constructor(private readonly db: Db) {
    loadReference(); // fail at start-up, not on the first page, if the reference file is broken
  }

  async get(sweep: { id: number | string; name: string }): Promise<CachedReport> {
    const key = String(sweep.id);
    const version = await figuresVersion(this.db, key);
    let e = this.entries.get(key);
    if (!e || e.version !== version) {
      // by id: a name means its latest version, and this entry is one version
      const promise = reportFromDatabase({ db: this.db, sweep: key });
      e = { version, promise };
      this.entries.set(key, e);
      promise.catch(() => this.entries.get(key) === e && this.entries.delete(key));
    }
    return { version, report: await e.promise };
  }
}
