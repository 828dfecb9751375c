import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { goldenDir } from "../../../../tooling/test-env.ts";
import { PrecompiledCharsmap } from "./precompiled.ts";

const json = JSON.parse(readFileSync(path.join(goldenDir, "tokenizer", "tokenizer.json"), "utf8"));
const map = PrecompiledCharsmap.fromBase64(json.normalizer.precompiled_charsmap);

describe("PrecompiledCharsmap (double-array trie port)", () => {
  it("maps every code point like NFKC except SentencePiece's nmt rules (controls dropped, odd spaces -> ' ', U+FF5E kept)", () => {
    // The fixture's charsmap is SentencePiece's nmt_nfkc: NFKC plus removal of control characters
    // and mapping of unusual whitespace to U+0020. A broken trie walk would disagree with NFKC on
    // thousands of code points; a correct one only on those rules.
    const diffs: number[] = [];
    let mapped = 0;
    for (let cp = 0; cp < 0x30000; cp++) {
      if (cp >= 0xd800 && cp < 0xe000) continue;
      const c = String.fromCodePoint(cp);
      const r = map.transform(c);
      if (r !== null) mapped++;
      if ((r ?? c) !== c.normalize("NFKC")) {
        diffs.push(cp);
        // U+FF5E FULLWIDTH TILDE is the one character SentencePiece keeps unnormalized.
        expect(r === "" || r === " " || (cp === 0xff5e && r === null), `U+${cp.toString(16)} -> ${JSON.stringify(r)}`).toBe(true);
      }
    }
    expect(mapped).toBeGreaterThan(4000);
    expect(diffs.length).toBeLessThan(60);
    for (const cp of [0x01, 0x1f, 0x7f, 0x8f, 0x9f]) expect(map.transform(String.fromCodePoint(cp))).toBe("");
    for (const cp of [0x09, 0x0a, 0x0d, 0x200b, 0x2028]) expect(map.transform(String.fromCodePoint(cp))).toBe(" ");
  });

  it("rejects a malformed charsmap", () => {
    expect(() => new PrecompiledCharsmap(new Uint8Array(2))).toThrow(/at least 4/);
    expect(() => new PrecompiledCharsmap(new Uint8Array([255, 0, 0, 0]))).toThrow(/trie size 255 does not fit/);
  });
});
