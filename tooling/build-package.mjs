#!/usr/bin/env node
// `npm run build` of one workspace package (run by turbo from the package's folder): src/ -> dist/,
// file by file, so dist/ mirrors src/ and every path a module computes from import.meta.url
// (prisma/migrations, data files, worker entry files) resolves the same from either folder.
// A package's bench/ (imported by its src/index.ts) goes to dist/bench/, and relative imports
// between the two folders are rewritten to match.
// TypeScript is transpiled without type checking (`npm run typecheck` checks; isolatedModules
// guarantees a file compiles alone) and its `./x.ts` imports are rewritten to `./x.js`
// (rewriteRelativeImportExtensions). Other files (.js, .mjs, .json, ...) are copied as they are.
// Tests (*.test.ts) and declaration files are left out.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const src = path.resolve("src");
const dist = path.resolve("dist");
// source folder -> output folder
const roots = [[src, dist], [path.resolve("bench"), path.join(dist, "bench")]].filter(([from]) => existsSync(from));
if (existsSync(path.join(src, "bench"))) throw new Error("src/bench would collide with bench/ in dist/bench");
const outPath = (file) => {
  for (const [from, to] of roots) if (file === from || file.startsWith(from + path.sep)) return path.join(to, path.relative(from, file));
  return null;
};
/** Relative specifiers point at the output of their target when it is built (src <-> bench), else
 * at the target itself (e.g. repo files), from the output file's folder. */
const remap = (code, fromFile, toFile) =>
  code.replace(/(\bfrom\s*|\bimport\s*\(\s*)(["'])(\.{1,2}\/[^"']+)\2/g, (_all, lead, q, spec) => {
    const source = path.resolve(path.dirname(fromFile), spec);
    const target = outPath(source) ?? source;
    let rel = path.relative(path.dirname(toFile), target).split(path.sep).join("/");
    if (!rel.startsWith(".")) rel = `./${rel}`;
    return `${lead}${q}${rel}${q}`;
  });
const compilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  verbatimModuleSyntax: true,
  rewriteRelativeImportExtensions: true,
  sourceMap: false,
};

rmSync(dist, { recursive: true, force: true });
let files = 0;
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, e.name);
    const to = outPath(from);
    if (e.isDirectory()) {
      walk(from);
      continue;
    }
    if (/\.test\.ts$|\.d\.ts$|\.md$/.test(e.name)) continue;
    mkdirSync(path.dirname(to), { recursive: true });
    if (e.name.endsWith(".ts")) {
      const out = ts.transpileModule(readFileSync(from, "utf8"), { compilerOptions, fileName: from, reportDiagnostics: true });
      const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
      if (errors.length) {
        console.error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => "\n" }));
        process.exit(1);
      }
      const js = to.replace(/\.ts$/, ".js");
      writeFileSync(js, remap(out.outputText, from, js));
    } else copyFileSync(from, to);
    files++;
  }
};
for (const [from] of roots) walk(from);
console.log(`${path.basename(process.cwd())}: ${files} files -> dist/`);
