// Prisma's schema engine compiled to WebAssembly (@prisma/schema-engine-wasm), driven through a
// driver adapter. Used instead of the native engine binary, which the Prisma CLI downloads on
// first use and which is unreachable offline (see /work/shared/ENVIRONMENT.md, "Prisma 7").
//
// The package's entry (`schema_engine.js`) does `import * as wasm from "./schema_engine_bg.wasm"`,
// an ES module import of WebAssembly that Node 20 only supports behind a flag. So the .wasm is
// instantiated by hand with the JS glue (`schema_engine_bg.js`) as its import object, then
// `__wbg_set_wasm` + `__wbindgen_start` do what the entry would have done.
//
// The engine version must match the Prisma CLI's engine hash (`@prisma/engines-version` of the
// installed `prisma`): packages/db pins @prisma/schema-engine-wasm 7.10.0-4.0edf323... to
// prisma 7.10.0, so a migration history written here is one `prisma migrate deploy` accepts.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { SchemaEngine } from "@prisma/schema-engine-wasm";

export type { SchemaEngine };

type WasmExports = Record<string, unknown>;
type Glue = typeof import("@prisma/schema-engine-wasm") & {
  __wbg_set_wasm(exports: WasmExports): void;
};
// The WebAssembly global exists in Node, but its types come with the DOM lib, which this
// project does not load; the two calls used here are declared by hand.
const Wasm = (globalThis as unknown as {
  WebAssembly: { instantiate(bytes: Uint8Array, imports: Record<string, unknown>): Promise<{ instance: { exports: WasmExports } }> };
}).WebAssembly;

let gluePromise: Promise<Glue> | undefined;

/** Loads and instantiates the wasm module once per process. */
function loadGlue(): Promise<Glue> {
  gluePromise ??= (async () => {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve("@prisma/schema-engine-wasm"));
    const glue = (await import(pathToFileURL(path.join(dir, "schema_engine_bg.js")).href)) as Glue;
    const bytes = await readFile(path.join(dir, "schema_engine_bg.wasm"));
    const { instance } = await Wasm.instantiate(bytes, { "./schema_engine_bg.js": glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return gluePromise;
}

/**
 * @prisma/adapter-pg's executeScript splits a migration on every ";" (comments and function
 * bodies included) and runs the pieces one by one, each in its own implicit transaction. The
 * native engine sends the whole script as one simple-protocol query, which Postgres runs as one
 * implicit transaction. This adapter does the same, so a migration applies atomically and a
 * semicolon in a comment or a $$ body is harmless, exactly as under `prisma migrate deploy`.
 */
class WholeScriptPg extends PrismaPg {
  /** Every connection handed to the engine, closed by EngineHandle.close (free() does not). */
  readonly opened: { dispose(): Promise<void> }[] = [];

  override async connect() {
    const adapter = await super.connect();
    this.opened.push(adapter);
    adapter.executeScript = async (script: string) => {
      try {
        await adapter.underlyingDriver().query(script);
      } catch (e) {
        // Same error mapping as the adapter's own queries (DriverAdapterError).
        (adapter as unknown as { onError(e: unknown): never }).onError(e);
      }
    };
    return adapter;
  }
}

export interface EngineHandle {
  engine: SchemaEngine;
  /**
   * Frees the engine and closes its connections. An open connection would keep Prisma's
   * migration advisory lock (pg_advisory_lock) held, and the next migrate waited 10 s for it.
   */
  close(): Promise<void>;
}

/**
 * Opens the wasm schema engine on `databaseUrl`. `schema` is the Prisma schema text (needed by
 * commands that read it; applyMigrations only needs the connection).
 */
export async function openSchemaEngine(databaseUrl: string, schema?: { path: string; content: string }): Promise<EngineHandle> {
  const glue = await loadGlue();
  // One connection: the engine takes Prisma's migration advisory lock (a session lock) and must
  // release it on the same session; through a larger pool the unlock could land elsewhere.
  const pg = new WholeScriptPg({ connectionString: databaseUrl, max: 1 });
  const factory = bindMigrationAwareSqlAdapterFactory(pg);
  const engine = await glue.SchemaEngine.new(
    { datamodels: schema ? [[schema.path, schema.content]] : undefined },
    () => {}, // progress log lines (JSON); errors come back as rejections
    factory,
  );
  return {
    engine,
    async close() {
      engine.free();
      await Promise.all(pg.opened.map((a) => a.dispose().catch(() => undefined)));
    },
  };
}
