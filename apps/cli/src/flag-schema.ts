// Commands with many numeric flags (the benches) validate them with one zod object: each flag a
// string from parseArgs, the first issue becomes the usage error (exit code 2).
import { z } from "zod";
import { CliError, type OptionSpec } from "./command.ts";

/** An optional `--flag N` with N a decimal integer >= min. */
export const intFlag = (flag: string, min: number) =>
  z
    .string()
    .regex(/^\d+$/, `--${flag} must be an integer`)
    .transform(Number)
    .refine((v) => v >= min, `--${flag} must be >= ${min}`)
    .optional();

/** parseArgs options for a schema whose every key is a string flag, each with its help line. */
export function stringOptions<S extends z.ZodObject>(schema: S, help: Record<keyof S["shape"] & string, string>): OptionSpec {
  return Object.fromEntries(Object.keys(schema.shape).map((k) => [k, { type: "string" as const, description: help[k as keyof typeof help] }]));
}

/** The parsed flags, or the schema's first issue as a usage error. */
export function parseFlags<S extends z.ZodObject>(schema: S, values: Record<string, unknown>): z.output<S> {
  const p = schema.safeParse(values);
  if (!p.success) throw new CliError(p.error.issues[0]!.message, 2);
  return p.data;
}
