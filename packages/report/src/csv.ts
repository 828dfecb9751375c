// RFC 4180 CSV (comma separated, CRLF-free "\n" lines, quotes doubled) for the plotted series, so a
// reader can re-plot or check every point without the database.

function cell(v: unknown): string {
  if (v == null) return "";
  const s = typeof v === "number" ? (Number.isInteger(v) ? String(v) : String(+v.toPrecision(12))) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return [columns.join(","), ...rows.map((r) => columns.map((c) => cell(r[c])).join(","))].join("\n") + "\n";
}

/** Parses what `toCsv` writes (used by tests and by anyone re-reading a report). */
export function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let field = "";
  let rec: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") rec.push(field), (field = "");
    else if (ch === "\n") rec.push(field), records.push(rec), (rec = []), (field = "");
    else if (ch !== "\r") field += ch;
  }
  if (field !== "" || rec.length) rec.push(field), records.push(rec);
  const [head, ...body] = records;
  if (!head) return [];
  return body.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i] ?? ""])));
}
