// Development mode: run the TypeScript sources instead of the built dist/ folders. Importing this
// module registers tsx (TypeScript at run time) and a resolve hook that adds the `ptune-source`
// export condition, under which every @ptune/* package resolves to its src/ (their package.json
// `exports`: "ptune-source" -> src, "default" -> dist). Used by apps/cli/bin/ptune.js with
// PTUNE_SOURCE=1 (or before the first build) and by entry files of worker threads, which do not
// inherit the main thread's loader hooks on Node 20. Same as `node --conditions=ptune-source --import tsx`.
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";

registerTsx();
// Registered after tsx so it runs first (the last registered hook is called first) and tsx and
// Node's resolver see the condition.
register(
  "data:text/javascript," +
    encodeURIComponent(
      'export async function resolve(s, c, next) { return next(s, c.conditions.includes("ptune-source") ? c : { ...c, conditions: [...c.conditions, "ptune-source"] }); }',
    ),
);
