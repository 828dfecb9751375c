// SentencePiece's precompiled normalizer (the `Precompiled` normalizer of T5's tokenizer.json),
// ported from Hugging Face's Rust crates so we match the reference exactly:
//  - spm_precompiled/src/lib.rs: the charsmap is [u32 trie byte length][trie: u32 units][normalized
//    strings, NUL-terminated]; the trie is a darts-clone double array searched byte by byte.
//  - tokenizers/src/normalizers/precompiled.rs: text is walked by extended grapheme clusters; a
//    cluster shorter than 6 UTF-8 bytes is replaced as a whole by the replacement of its SHORTEST
//    matching prefix (common_prefix_search()[0]) if any ("Yes, this seems broken... check against
//    XNLI"), otherwise each character is replaced on its own when it has an entry.
// Grapheme clusters come from Intl.Segmenter (ICU); the Rust side uses unicode-segmentation. Both
// implement UAX #29; they can differ only where their Unicode versions differ.

const utf8 = new TextEncoder();
const utf8dec = new TextDecoder("utf-8", { fatal: true });

export class PrecompiledCharsmap {
  private readonly trie: Uint32Array;
  private readonly normalized: Uint8Array;
  private readonly cache = new Map<string, string | null>();
  private readonly segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  /** True when no printable ASCII character (0x20-0x7e) has an entry: such text passes unchanged. */
  private readonly asciiIdentity: boolean;

  constructor(charsmap: Uint8Array) {
    if (charsmap.byteLength < 4) throw new Error(`precompiled_charsmap: ${charsmap.byteLength} bytes, expected at least 4`);
    const dv = new DataView(charsmap.buffer, charsmap.byteOffset, charsmap.byteLength);
    const trieBytes = dv.getUint32(0, true);
    if (trieBytes % 4 !== 0 || 4 + trieBytes > charsmap.byteLength) {
      throw new Error(`precompiled_charsmap: trie size ${trieBytes} does not fit the ${charsmap.byteLength}-byte blob`);
    }
    this.trie = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.trie.length; i++) this.trie[i] = dv.getUint32(4 + 4 * i, true);
    this.normalized = charsmap.subarray(4 + trieBytes);
    let identity = true;
    for (let c = 0x20; c < 0x7f && identity; c++) if (this.transform(String.fromCharCode(c)) !== null) identity = false;
    this.asciiIdentity = identity;
  }

  static fromBase64(b64: string): PrecompiledCharsmap {
    return new PrecompiledCharsmap(new Uint8Array(Buffer.from(b64, "base64")));
  }

  // darts-clone unit accessors (spm_precompiled ArrayUnitTrait).
  private static hasLeaf = (u: number) => ((u >>> 8) & 1) === 1;
  private static value = (u: number) => u & 0x7fffffff;
  private static label = (u: number) => u & 0x800000ff;
  private static offset = (u: number) => (u >>> 10) << ((u & (1 << 9)) >>> 6);

  /** Value of the shortest key that prefixes `key` (common_prefix_search(key)[0]), or -1. */
  private firstPrefix(key: Uint8Array): number {
    const t = this.trie;
    let pos = 0;
    pos ^= PrecompiledCharsmap.offset(t[pos]);
    for (const c of key) {
      if (c === 0) break;
      pos ^= c;
      const unit = t[pos];
      if (unit === undefined || PrecompiledCharsmap.label(unit) !== c) return -1;
      pos ^= PrecompiledCharsmap.offset(unit);
      if (PrecompiledCharsmap.hasLeaf(unit)) return PrecompiledCharsmap.value(t[pos]);
    }
    return -1;
  }

  private normalizedAt(index: number): string {
    let end = index;
    while (end < this.normalized.length && this.normalized[end] !== 0) end++;
    return utf8dec.decode(this.normalized.subarray(index, end));
  }

  /** The replacement for `chunk` (by its shortest matching prefix), or null when it has none. */
  transform(chunk: string): string | null {
    let r = this.cache.get(chunk);
    if (r !== undefined) return r;
    const v = this.firstPrefix(utf8.encode(chunk));
    r = v < 0 ? null : this.normalizedAt(v);
    if (this.cache.size < 100_000) this.cache.set(chunk, r);
    return r;
  }

  /** Normalizes like tokenizers' `impl Normalizer for Precompiled`. */
  normalize(text: string): string {
    if (this.asciiIdentity && /^[\x20-\x7e]*$/.test(text)) return text;
    let out = "";
    for (const { segment: g } of this.segmenter.segment(text)) {
      if (utf8Length(g) < 6) {
        const r = this.transform(g);
        if (r !== null) {
          out += r;
          continue;
        }
      }
      for (const c of g) out += this.transform(c) ?? c;
    }
    return out;
  }
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; } // surrogate pair
    else n += 3;
  }
  return n;
}
