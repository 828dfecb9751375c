// Headless rendering: Vega-Lite -> Vega (vega-lite `compile`) -> SVG (a Vega View with renderer
// 'none', `toSVG()`) -> PNG (@resvg/resvg-js). resvg draws text only with fonts it is given; Debian's
// `fonts-dejavu-core` provides DejaVu Sans, which the specs name. PTUNE_FONT_FILE overrides.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { compile } from "vega-lite";
import { parse, View } from "vega";
import { Resvg } from "@resvg/resvg-js";

const FONT_DIRS = ["/usr/share/fonts", "/usr/local/share/fonts", "/System/Library/Fonts", "C:\\Windows\\Fonts"];

let cachedFonts: string[] | undefined;

/** Font files for resvg: $PTUNE_FONT_FILE, else DejaVu Sans (regular and bold) or any TTF found. */
export function findFontFiles(): string[] {
  if (cachedFonts) return cachedFonts;
  const env = process.env.PTUNE_FONT_FILE;
  if (env) {
    if (!existsSync(env)) throw new Error(`PTUNE_FONT_FILE=${env}: no such file (expected a .ttf/.otf font)`);
    return (cachedFonts = [env]);
  }
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 4 || !existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (/\.(ttf|otf)$/i.test(e.name)) found.push(p);
    }
  };
  for (const d of FONT_DIRS) walk(d, 0);
  const dejavu = found.filter((f) => /DejaVuSans(-Bold)?\.ttf$/.test(f));
  return (cachedFonts = dejavu.length ? dejavu : found.slice(0, 8));
}

export async function specToSvg(spec: Record<string, unknown>): Promise<string> {
  const vg = compile(spec as never).spec;
  const view = new View(parse(vg), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG bytes of an SVG at `scale` times its size. Throws when no font exists (text would vanish). */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const fontFiles = findFontFiles();
  if (fontFiles.length === 0) {
    throw new Error("no font found for PNG rendering under /usr/share/fonts: install one (Debian: apt-get install -y fonts-dejavu-core) or set PTUNE_FONT_FILE");
  }
  const family = fontFiles.some((f) => /DejaVuSans/.test(f)) ? "DejaVu Sans" : undefined;
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: { loadSystemFonts: false, fontFiles, ...(family ? { defaultFontFamily: family, sansSerifFamily: family } : {}) },
  });
  return new Uint8Array(resvg.render().asPng());
}
