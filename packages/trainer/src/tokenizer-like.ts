// The slice of @ptune/t5's T5Tokenizer the trainer needs. Declared structurally so the trainer's
// pure parts (inits, batching, neighbours) are testable with any tokenizer of the same shape.
export interface TokenizerLike {
  /** SentencePiece ids of `text` WITHOUT the trailing `</s>`. */
  encode(text: string, opts?: { addEos?: boolean }): number[];
  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** the SentencePiece piece of an id (e.g. "▁the"); nearest-neighbour tables prefer it to decode */
  idToPiece?(id: number): string | undefined;
  readonly eosId?: number;
  readonly padId?: number;
}

export const EOS_ID = 1; // T5: pad=0, eos=1, unk=2 (golden README; t5 SentencePiece model)
export const PAD_ID = 0;

/** Ids without `</s>`, whatever the tokenizer's default about appending it. */
export function encodeNoEos(tok: TokenizerLike, text: string): number[] {
  const ids = tok.encode(text, { addEos: false });
  const eos = tok.eosId ?? EOS_ID;
  return ids.length > 0 && ids[ids.length - 1] === eos ? ids.slice(0, -1) : ids;
}
