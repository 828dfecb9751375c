// ptune dashboard: the live web dashboard (apps/dashboard) on this machine's database and queue.
import { createServer, readDashboardEnv } from "@ptune/dashboard";
import { CliError, type Command } from "../command.ts";
import { openSession } from "../database.ts";

export const command: Command = {
  name: "dashboard",
  summary: "serve the live dashboard: sweeps, trial grid, training curves, workers, figures, queues",
  usage: "ptune dashboard [--port <n>] [--host <addr>] [--local] [--json]",
  example: "PTUNE_DASHBOARD_TOKEN=$(openssl rand -hex 16) ptune dashboard --port 8787",
  options: {
    port: { type: "string", description: "TCP port, 0 for any free one", default: "8787" },
    host: { type: "string", description: "address to listen on", default: "127.0.0.1" },
    local: { type: "boolean", description: "the queue is in PostgreSQL (no REDIS_URL), as for submit --local" },
  },
  async run({ positionals, values }, io) {
    if (positionals.length) throw new CliError(`unexpected argument '${positionals[0]}'\nusage: ${this.usage}`, 2);
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port: expected an integer 0-65535, got '${values.port}'`, 2);
    let env;
    try {
      env = readDashboardEnv();
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const session = await openSession({ local: values.local ? true : undefined, migrate: true });
    const server = await createServer({ db: session.db, backend: session.backend, token: env.PTUNE_DASHBOARD_TOKEN }).listen({ port, hostname: (values.host as string | undefined) ?? "127.0.0.1" });
    const readOnly = !env.PTUNE_DASHBOARD_TOKEN;
    if (io.json) io.out(JSON.stringify({ ok: true, url: server.url, mode: session.mode, readOnly }));
    else io.out(`ptune dashboard on ${server.url} (${session.mode} mode${readOnly ? ", read-only: set PTUNE_DASHBOARD_TOKEN to enable cancel/retry" : "; it needs PTUNE_DASHBOARD_TOKEN: open it once as /?token=<the token>"}); Ctrl-C stops it`);
    // Runs until interrupted; only bin/ptune.js calls process.exit.
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await server.close();
    await session.close();
    return 0;
  },
};
