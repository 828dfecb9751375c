// T5 tokenizer.json from a SentencePiece `spiece.model`, for checkpoints that ship only that file
// (google/t5-v1_1-* and the LM-adapted google/t5-*-lm-adapt repos have no tokenizer.json).
// Reads the ModelProto (sentencepiece_model.proto: pieces = 1 {piece = 1, score = 2, type = 3},
// trainer_spec = 2 {model_type = 3, unk_id = 40}, normalizer_spec = 3 {precompiled_charsmap = 2})
// with a minimal protobuf reader, then lays out what transformers' T5TokenizerFast saves
// (convert_slow_tokenizer T5Converter): the pieces in order, then <extra_id_{n-1}> .. <extra_id_0>,
// Precompiled normalizer, WhitespaceSplit + Metaspace, "$A </s>".

type Field = { no: number; wire: number; value: number | Uint8Array };

/** Top-level fields of one protobuf message (varint, 32/64-bit and length-delimited). */
function fields(buf: Uint8Array, where: string): Field[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Field[] = [];
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (p >= buf.length) throw new Error(`${where}: truncated protobuf varint`);
      const b = buf[p++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (p < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 1) { out.push({ no, wire, value: dv.getFloat64(p, true) }); p += 8; }
    else if (wire === 5) { out.push({ no, wire, value: dv.getFloat32(p, true) }); p += 4; }
    else if (wire === 2) {
      const len = varint();
      if (p + len > buf.length) throw new Error(`${where}: truncated protobuf field ${no}`);
      out.push({ no, wire, value: buf.subarray(p, p + len) });
      p += len;
    } else throw new Error(`${where}: unsupported protobuf wire type ${wire} (not a SentencePiece model?)`);
  }
  return out;
}

const text = new TextDecoder("utf-8", { fatal: true });

export interface SentencePieceModel {
  pieces: { piece: string; score: number; type: number }[];
  modelType: number; // 1 = UNIGRAM
  unkId: number;
  precompiledCharsmap: Uint8Array;
}

export function parseSentencePieceModel(buf: Uint8Array, where = "spiece.model"): SentencePieceModel {
  const m: SentencePieceModel = { pieces: [], modelType: 1, unkId: 0, precompiledCharsmap: new Uint8Array(0) };
  for (const f of fields(buf, where)) {
    if (f.no === 1 && f.value instanceof Uint8Array) {
      const p = { piece: "", score: 0, type: 1 };
      for (const g of fields(f.value, where)) {
        if (g.no === 1 && g.value instanceof Uint8Array) p.piece = text.decode(g.value);
        else if (g.no === 2 && typeof g.value === "number") p.score = g.value;
        else if (g.no === 3 && typeof g.value === "number") p.type = g.value;
      }
      m.pieces.push(p);
    } else if (f.no === 2 && f.value instanceof Uint8Array) {
      for (const g of fields(f.value, where)) {
        if (g.no === 3 && typeof g.value === "number") m.modelType = g.value;
        else if (g.no === 40 && typeof g.value === "number") m.unkId = g.value;
      }
    } else if (f.no === 3 && f.value instanceof Uint8Array) {
      for (const g of fields(f.value, where)) if (g.no === 2 && g.value instanceof Uint8Array) m.precompiledCharsmap = g.value;
    }
  }
  if (m.pieces.length === 0) throw new Error(`${where}: no pieces (not a SentencePiece model?)`);
  if (m.modelType !== 1) throw new Error(`${where}: model_type ${m.modelType}, expected 1 (UNIGRAM, as T5 uses)`);
  return m;
}

/** tokenizer.json (Hugging Face format) equivalent to T5TokenizerFast built from spiece.model. */
export function tokenizerJsonFromSpiece(buf: Uint8Array, extraIds = 100, where = "spiece.model"): Record<string, unknown> {
  const m = parseSentencePieceModel(buf, where);
  const vocab: [string, number][] = m.pieces.map((p) => [p.piece, p.score]);
  for (let i = extraIds - 1; i >= 0; i--) vocab.push([`<extra_id_${i}>`, 0]);
  const special = (id: number) => ({ id, content: vocab[id][0], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  // CONTROL (3) and UNKNOWN (2) pieces are special (<pad>, </s>, <unk>), then the sentinels.
  const added = m.pieces.flatMap((p, id) => (p.type === 2 || p.type === 3 ? [special(id)] : []));
  for (let id = m.pieces.length; id < vocab.length; id++) added.push(special(id));
  return t5UnigramTokenizerJson({
    addedTokens: added,
    normalizer: m.precompiledCharsmap.length ? { type: "Precompiled", precompiled_charsmap: Buffer.from(m.precompiledCharsmap).toString("base64") } : null,
    eosId: vocab.findIndex(([p]) => p === "</s>"),
    unkId: m.unkId,
    vocab,
  });
}

/**
 * The tokenizer.json layout of T5TokenizerFast around a Unigram vocabulary (real checkpoints and
 * random ones, build-unigram.ts): pre-tokenizer WhitespaceSplit + Metaspace("\u2581", prepend
 * always), decoder Metaspace, post-processor "$A </s>" ("$A </s> $B </s>" for pairs).
 */
export function t5UnigramTokenizerJson(p: { addedTokens: unknown[]; normalizer: unknown; eosId: number; unkId: number; vocab: [string, number][] }): Record<string, unknown> {
  const metaspace = { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", split: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: p.addedTokens,
    normalizer: p.normalizer,
    pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "WhitespaceSplit" }, metaspace] },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
      pair: [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }, { Sequence: { id: "B", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
      special_tokens: { "</s>": { id: "</s>", ids: [p.eosId], tokens: ["</s>"] } },
    },
    decoder: metaspace,
    model: { type: "Unigram", unk_id: p.unkId, vocab: p.vocab, byte_fallback: false },
  };
}
