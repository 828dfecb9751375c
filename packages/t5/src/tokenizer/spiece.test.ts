import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { goldenDir } from "../../../../tooling/test-env.ts";
import { parseSentencePieceModel, tokenizerJsonFromSpiece } from "./spiece.ts";
import { T5Tokenizer } from "./tokenizer.ts";

const tokDir = path.join(goldenDir, "tokenizer");
const spiece = new Uint8Array(readFileSync(path.join(tokDir, "spiece.model")));
const reference = JSON.parse(readFileSync(path.join(tokDir, "tokenizer.json"), "utf8"));
const tmp = mkdtempSync(path.join(os.tmpdir(), "ptune-spiece-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("tokenizer from spiece.model (checkpoints without tokenizer.json)", () => {
  it("parses the SentencePiece model", () => {
    const m = parseSentencePieceModel(spiece);
    expect(m.pieces.length).toBe(1000);
    expect(m.pieces.slice(0, 3).map((p) => [p.piece, p.type])).toEqual([["<pad>", 3], ["</s>", 3], ["<unk>", 2]]);
    expect(m.unkId).toBe(2);
  });

  it("builds the same vocabulary, scores, specials and charsmap as transformers' tokenizer.json", () => {
    const j = tokenizerJsonFromSpiece(spiece) as typeof reference;
    expect(j.model.vocab).toEqual(reference.model.vocab);
    expect(j.model.unk_id).toBe(reference.model.unk_id);
    expect(j.normalizer).toEqual(reference.normalizer);
    expect(j.pre_tokenizer).toEqual(reference.pre_tokenizer);
    expect(j.added_tokens).toEqual(reference.added_tokens);
  });

  it("encodes the whole corpus like the tokenizer.json", () => {
    const dir = path.join(tmp, "only-spiece");
    mkdirSync(dir);
    copyFileSync(path.join(tokDir, "spiece.model"), path.join(dir, "spiece.model"));
    const a = T5Tokenizer.fromDir(dir);
    const b = T5Tokenizer.fromDir(tokDir);
    expect([a.vocabSize, a.sentinel(0), a.eosId]).toEqual([1100, 1099, 1]);
    const lines = readFileSync(path.join(goldenDir, "corpus.txt"), "utf8").split("\n").slice(0, 1500);
    for (const l of lines) expect(a.encode(l)).toEqual(b.encode(l));
  });

  it("fails clearly on a file that is not a SentencePiece model", () => {
    const f = path.join(tmp, "spiece.model");
    writeFileSync(f, Buffer.from([0x0f, 0xff]));
    expect(() => T5Tokenizer.fromSpiece(f)).toThrow(new RegExp(`${f}: `));
  });
});
