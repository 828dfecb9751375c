// Integer options of the analysis commands (ensemble, neighbours): one clear usage error.
import { CliError } from "../command.ts";

export function intOption(values: Record<string, unknown>, name: string, min = 1): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== "string" || !/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < min) throw new CliError(`--${name}: expected an integer >= ${min}, got '${String(raw)}'`, 2);
  return n;
}
