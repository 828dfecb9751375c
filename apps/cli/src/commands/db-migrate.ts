// `ptune db migrate`: applies prisma/migrations (tables + SQL views) to the database, offline,
// through Prisma's wasm schema engine (@ptune/db migrate). Same history as `prisma migrate
// deploy`, so either tool can be used on the same database; running it again applies nothing.
import { ensureDatabase, migrate, redact, startEmbeddedPostgres } from "@ptune/db";
import { CliError, type Command } from "../command.ts";
import { localDataDir } from "../database.ts";

export const command: Command = {
  name: "db migrate",
  summary: "create the database if missing and apply pending migrations (tables and views)",
  usage: "ptune db migrate [--database-url postgresql://...] [--home DIR] [--data-dir DIR] [--json]",
  example: "DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ptune ptune db migrate",
  options: {
    "database-url": { type: "string", description: "the database to migrate (default: DATABASE_URL, else local mode's embedded PostgreSQL)" },
    "data-dir": { type: "string", description: "migrate an embedded PostgreSQL kept in this folder instead" },
  },
  async run({ positionals, values }, io) {
    if (positionals.length) throw new CliError(`unexpected argument '${positionals[0]}'\nusage: ${this.usage}`, 2);
    const given = (values["database-url"] as string | undefined) ?? (process.env.DATABASE_URL || undefined);
    if (given && !/^postgres(ql)?:\/\//.test(given)) {
      throw new CliError(`DATABASE_URL must be a postgresql://user@host:port/database URL, got '${redact(given)}'`);
    }
    // No URL: local mode's embedded Postgres in <PTUNE_HOME>/pg (as `ptune run`), created if missing.
    const local = given && !values["data-dir"] ? null : await startEmbeddedPostgres({ dataDir: (values["data-dir"] as string | undefined) ?? localDataDir() });
    const url = local?.url ?? given!;
    try {
      const created = await ensureDatabase(url).catch((e: Error) => {
        throw new CliError(`cannot reach ${redact(url)}: ${e.message}`);
      });
      const { applied } = await migrate(url);
      if (io.json) io.out(JSON.stringify({ ok: true, database: redact(url), created, applied }));
      else {
        if (created) io.out(`created database ${redact(url)}`);
        io.out(applied.length ? `applied ${applied.length} migration(s) to ${redact(url)}:\n${applied.map((m) => `  ${m}`).join("\n")}` : `${redact(url)} is up to date`);
      }
      return 0;
    } finally {
      await local?.stop();
    }
  },
};
