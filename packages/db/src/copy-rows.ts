// Bulk loading with COPY ... FROM STDIN (text format), the fastest way into PostgreSQL: rows are
// parsed by each column's input function straight off the wire, with no SQL parameters, array
// literals or JSON splitting in between. Measured on 10,000 sweep trials (6 MB of config JSON)
// on the 2-core dev machine: ~0.45-0.6 s, against ~0.75-0.95 s for one INSERT ... SELECT FROM
// unnest(typed arrays) and 10-36 s for Prisma's createMany (issue #5).
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** A value of one column: null is SQL NULL, objects are written as JSON (for json/jsonb columns). */
export type CopyValue = string | number | bigint | boolean | null | undefined | object;

const ROWS_PER_CHUNK = 500;
const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * One field in COPY's text format (PostgreSQL docs, COPY, "Text Format"): `\N` is NULL;
 * backslash, newline, carriage return and the tab delimiter are backslash-escaped. Escaping
 * every backslash also keeps a field from forming the `\.` end-of-data marker.
 */
export function copyField(v: CopyValue): string {
  if (v === null || v === undefined) return "\\N";
  const s = typeof v === "object" ? JSON.stringify(v) : String(v);
  return NEEDS_ESCAPE.test(s) ? s.replace(/[\\\n\r\t]/g, (ch) => ESCAPES[ch]!) : s;
}

/** The COPY text of `rows`, in chunks of ROWS_PER_CHUNK lines. */
function* copyText(rows: readonly (readonly CopyValue[])[]): Generator<string> {
  for (let i = 0; i < rows.length; i += ROWS_PER_CHUNK) {
    let chunk = "";
    for (const row of rows.slice(i, i + ROWS_PER_CHUNK)) chunk += row.map(copyField).join("\t") + "\n";
    yield chunk;
  }
}

/**
 * Streams `rows` into `table (columns)` on the client `c` (inside the caller's transaction) and
 * returns how many rows the server stored. Identifiers are the caller's constants, not user input.
 */
export async function copyRows(c: pg.PoolClient, table: string, columns: readonly string[], rows: readonly (readonly CopyValue[])[]): Promise<number> {
  if (!rows.length) return 0;
  const sink = c.query(copyFrom(`COPY ${table} (${columns.join(", ")}) FROM STDIN`));
  await pipeline(Readable.from(copyText(rows)), sink);
  return sink.rowCount;
}
