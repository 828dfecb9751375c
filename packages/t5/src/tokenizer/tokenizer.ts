// T5's SentencePiece Unigram tokenizer from a Hugging Face tokenizer.json, on top of the pure-JS
// @huggingface/tokenizers, with its NFKC approximation of the `Precompiled` normalizer replaced by
// an exact port (./precompiled.ts) so ids match the Rust `tokenizers` reference.
// T5 conventions (transformers T5TokenizerFast): pad=0, eos=1 ("</s>" appended to every sequence),
// unk=2, sentinels <extra_id_0>..<extra_id_{n-1}> where <extra_id_0> is the LAST id.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { PrecompiledNormalizer, Tokenizer, WhitespaceSplitPreTokenizer } from "@huggingface/tokenizers";
import { PrecompiledCharsmap } from "./precompiled.ts";
import { tokenizerJsonFromSpiece } from "./spiece.ts";

export class TokenizerError extends Error {
  override name = "TokenizerError";
}

interface NormalizerLike { normalize(text: string): string; normalizers?: (NormalizerLike | null)[]; config?: { precompiled_charsmap?: string | null } }

/** Swaps every Precompiled normalizer (also inside Sequences) for the exact port. */
function patchPrecompiled(n: NormalizerLike | null): number {
  if (!n) return 0;
  if (n instanceof PrecompiledNormalizer) {
    const b64 = n.config?.precompiled_charsmap;
    const map = b64 ? PrecompiledCharsmap.fromBase64(b64) : null;
    n.normalize = map ? (t: string) => map.normalize(t) : (t: string) => t;
    return 1;
  }
  return (n.normalizers ?? []).reduce((s, c) => s + patchPrecompiled(c), 0);
}

// Rust's char::is_whitespace (Unicode White_Space), which tokenizers' WhitespaceSplit uses; JS \s
// differs (it has U+FEFF, lacks U+0085), so "a\u0085b" would split differently.
const RUST_NON_WHITESPACE = /[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;

interface PreTokenizerLike { pre_tokenize_text(text: string, o?: unknown): string[]; tokenizers?: (PreTokenizerLike | null)[] }

/** Makes every WhitespaceSplit (also inside Sequences) split on Rust's whitespace set. */
function patchWhitespaceSplit(p: PreTokenizerLike | null): void {
  if (!p) return;
  if (p instanceof WhitespaceSplitPreTokenizer) p.pre_tokenize_text = (t: string) => t.match(RUST_NON_WHITESPACE) ?? [];
  else for (const c of p.tokenizers ?? []) patchWhitespaceSplit(c);
}

function readConfig(cfgPath: string): Record<string, unknown> {
  if (!existsSync(cfgPath)) return {};
  try {
    return JSON.parse(readFileSync(cfgPath, "utf8"));
  } catch (e) {
    throw new TokenizerError(`${cfgPath}: not valid JSON (${(e as Error).message})`);
  }
}

export class T5Tokenizer {
  readonly vocabSize: number;
  readonly padId: number;
  readonly eosId: number;
  readonly unkId: number;
  private readonly sentinels: number[];

  private constructor(private readonly tok: Tokenizer, readonly source: string) {
    const vocab = tok.get_vocab(true);
    this.vocabSize = Math.max(...vocab.values()) + 1;
    const need = (piece: string, what: string) => {
      const id = tok.token_to_id(piece);
      if (id === undefined) throw new TokenizerError(`${source}: no '${piece}' token (${what}); expected a T5 tokenizer.json`);
      return id;
    };
    this.padId = need("<pad>", "padding");
    this.eosId = need("</s>", "end of sequence");
    this.unkId = need("<unk>", "unknown");
    this.sentinels = [];
    for (let i = 0; ; i++) {
      const id = tok.token_to_id(`<extra_id_${i}>`);
      if (id === undefined) break;
      this.sentinels.push(id);
    }
  }

  /** Builds from a parsed tokenizer.json object (and optional tokenizer_config.json). */
  static fromJson(json: unknown, config: Record<string, unknown> = {}, source = "tokenizer.json"): T5Tokenizer {
    const j = json as { model?: { type?: string }; normalizer?: unknown };
    if (j?.model?.type !== "Unigram") throw new TokenizerError(`${source}: model.type is ${JSON.stringify(j?.model?.type)}, expected "Unigram" (SentencePiece, as T5 uses)`);
    let tok: Tokenizer;
    try {
      tok = new Tokenizer(json as object, config);
    } catch (e) {
      throw new TokenizerError(`${source}: cannot build tokenizer (${(e as Error).message})`);
    }
    patchPrecompiled(tok.normalizer as unknown as NormalizerLike | null);
    patchWhitespaceSplit(tok.pre_tokenizer as unknown as PreTokenizerLike | null);
    return new T5Tokenizer(tok, source);
  }

  static fromFile(file: string): T5Tokenizer {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new TokenizerError(`${file}: cannot read tokenizer.json (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const config = readConfig(path.join(path.dirname(file), "tokenizer_config.json"));
    return T5Tokenizer.fromJson(json, config, file);
  }

  /** `<modelDir>/tokenizer.json` (the layout save_pretrained writes), else `<modelDir>/spiece.model`. */
  static fromDir(dir: string): T5Tokenizer {
    const json = path.join(dir, "tokenizer.json");
    const spiece = path.join(dir, "spiece.model");
    if (existsSync(json) || !existsSync(spiece)) return T5Tokenizer.fromFile(json);
    return T5Tokenizer.fromSpiece(spiece);
  }

  /** From a SentencePiece model file, laid out as transformers' T5TokenizerFast (extra_ids from tokenizer_config.json, default 100). */
  static fromSpiece(file: string): T5Tokenizer {
    const config = readConfig(path.join(path.dirname(file), "tokenizer_config.json"));
    const extraIds = typeof config.extra_ids === "number" ? config.extra_ids : 100;
    let json: Record<string, unknown>;
    try {
      json = tokenizerJsonFromSpiece(new Uint8Array(readFileSync(file)), extraIds, file);
    } catch (e) {
      throw new TokenizerError(e instanceof Error && e.message.startsWith(file) ? e.message : `${file}: cannot read SentencePiece model (${(e as Error).message})`);
    }
    return T5Tokenizer.fromJson(json, config, file);
  }

  /** Token ids; `</s>` appended unless addEos is false (T5's TemplateProcessing "$A </s>"). */
  encode(text: string, opts: { addEos?: boolean } = {}): number[] {
    const ids = this.tok.encode(text, { add_special_tokens: false }).ids;
    if (opts.addEos ?? true) ids.push(this.eosId);
    return ids;
  }

  encodeBatch(texts: readonly string[], opts: { addEos?: boolean } = {}): number[][] {
    return texts.map((t) => this.encode(t, opts));
  }

  /** Text for ids; special tokens (pad, eos, unk, sentinels) dropped unless skipSpecialTokens is false. -100 is ignored. */
  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    const clean = ids.filter((i) => i >= 0);
    if (clean.length === 0) return "";
    for (const i of clean) if (!Number.isInteger(i) || i >= this.vocabSize) throw new TokenizerError(`${this.source}: cannot decode id ${i} (vocab size ${this.vocabSize})`);
    // No "clean up tokenization spaces" (which would turn "a , b" into "a, b"): SentencePiece's
    // decode, which the T5 codebase uses for predictions, is lossless on normalized text.
    return this.tok.decode(clean, { skip_special_tokens: opts.skipSpecialTokens ?? true, clean_up_tokenization_spaces: false });
  }

  /** Id of <extra_id_i>. */
  sentinel(i: number): number {
    const id = this.sentinels[i];
    if (id === undefined) throw new TokenizerError(`${this.source}: no sentinel <extra_id_${i}> (the tokenizer has ${this.sentinels.length})`);
    return id;
  }

  get numSentinels(): number {
    return this.sentinels.length;
  }

  /** The piece string of an id (e.g. "▁the"). */
  idToPiece(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }

  /** The normalizer alone (for tests and debugging). */
  normalize(text: string): string {
    const n = this.tok.normalizer as unknown as ((t: string) => string) | null;
    return n ? n(text) : text;
  }
}
