// Builds a small T5-style SentencePiece Unigram tokenizer.json (Hugging Face format) from a word
// list, for random checkpoints on machines without real weights. Same layout as real T5
// tokenizers (and the fixture's): pad=0, eos=1, unk=2, pieces, then the sentinels with
// <extra_id_0> LAST; pre-tokenizer WhitespaceSplit + Metaspace("▁", prepend always); decoder
// Metaspace; post-processor "$A </s>". The normalizer is NFKC (the real Precompiled charsmap is
// SentencePiece's nmt_nfkc; NFKC is its core and both JS and Rust tokenizers implement it).
// Scores make whole words win: "▁word" -2 per piece beats any spelling out of characters.
import { t5UnigramTokenizerJson } from "./spiece.ts";

const SPACE = "\u2581";

export interface UnigramBuildOptions {
  /** Words that should each be one piece ("▁word"); order is kept, duplicates dropped. */
  words: readonly string[];
  /** Number of sentinels <extra_id_i> at the end (T5: 100). */
  extraIds?: number;
  /** Pad with unused pieces so the sentinels end at id padTo - 1 (real T5: 32100). */
  padTo?: number;
}

/** Every printable ASCII character, so any ASCII text encodes without <unk>. */
const ASCII = Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i));

export function buildUnigramTokenizerJson(opts: UnigramBuildOptions): Record<string, unknown> {
  const extra = opts.extraIds ?? 100;
  const vocab: [string, number][] = [["<pad>", 0], ["</s>", 0], ["<unk>", 0], [SPACE, -3]];
  const seen = new Set(vocab.map(([p]) => p));
  const add = (piece: string, score: number) => {
    if (!seen.has(piece)) {
      seen.add(piece);
      vocab.push([piece, score]);
    }
  };
  for (const w of opts.words) {
    if (!w || /\s/.test(w)) throw new Error(`tokenizer word list: ${JSON.stringify(w)} must be a non-empty word without whitespace`);
    add(SPACE + w.normalize("NFKC"), -2);
  }
  // Characters: word-initial ("▁c") and inner ("c"); scored low so they are the fallback only.
  for (const c of ASCII) add(SPACE + c, -12);
  for (const c of ASCII) add(c, -10);
  if (opts.padTo !== undefined) {
    const want = opts.padTo - extra;
    if (want < vocab.length) throw new Error(`tokenizer: padTo ${opts.padTo} is smaller than the ${vocab.length + extra} pieces needed`);
    for (let i = 0; vocab.length < want; i++) add(`<unused_${i}>`, -100);
  }
  const firstSentinel = vocab.length;
  for (let i = extra - 1; i >= 0; i--) vocab.push([`<extra_id_${i}>`, 0]);
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const addedTokens = [special(0, "<pad>"), special(1, "</s>"), special(2, "<unk>")];
  for (let id = firstSentinel; id < vocab.length; id++) addedTokens.push(special(id, vocab[id][0]));
  return t5UnigramTokenizerJson({ addedTokens, normalizer: { type: "NFKC" }, eosId: 1, unkId: 2, vocab });
}

/** tokenizer_config.json matching the tokenizer above (what transformers' T5TokenizerFast saves). */
export function t5TokenizerConfigJson(extraIds = 100): Record<string, unknown> {
  return {
    tokenizer_class: "T5Tokenizer",
    eos_token: "</s>",
    pad_token: "<pad>",
    unk_token: "<unk>",
    extra_ids: extraIds,
    additional_special_tokens: Array.from({ length: extraIds }, (_, i) => `<extra_id_${i}>`),
    model_max_length: 512,
  };
}
