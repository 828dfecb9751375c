// Minimal reader for the zip archives torch.save writes (torch >= 1.6, caffe2's
// PyTorchStreamWriter via miniz): every entry STORED (no compression), ZIP64 records past 4 GiB.
// Only the central directory is read into memory; an entry's data is located from its local header
// and read by the caller at that offset (PKWARE APPNOTE.TXT 4.3: local header 4.3.7, central
// directory 4.3.12, end of central directory 4.3.16, ZIP64 EOCD 4.3.14 and its locator 4.3.15,
// ZIP64 extra field 4.5.3).
import { fstatSync } from "node:fs";
import { readExact } from "./safetensors.ts";

export class ZipError extends Error {
  override name = "ZipError";
}

export interface ZipEntry {
  name: string;
  method: number;
  size: number;
  compressedSize: number;
  /** Offset of the entry's local file header. */
  localHeader: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_COMMENT = 0xffff;

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const u64 = (d: DataView, at: number) => {
  const v = d.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`zip field ${v} is too large`);
  return Number(v);
};

export const isZip = (head: Uint8Array) => head.length >= 4 && dv(head).getUint32(0, true) === LOCAL;

/** Reads the central directory of an open file. */
export function readZipDirectory(fd: number, file: string): Map<string, ZipEntry> {
  const size = fstatSync(fd).size;
  const tailLen = Math.min(size, 22 + MAX_COMMENT + 20);
  const tail = readExact(fd, size - tailLen, tailLen, file);
  const t = dv(tail);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) if (t.getUint32(i, true) === EOCD) { eocd = i; break; }
  if (eocd < 0) throw new ZipError(`${file}: not a complete zip archive (no end-of-central-directory record; the file is truncated or damaged — download it again)`);
  let count = t.getUint16(eocd + 10, true);
  let cdSize = t.getUint32(eocd + 12, true);
  let cdOffset = t.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || t.getUint32(loc, true) !== EOCD64_LOCATOR) throw new ZipError(`${file}: ZIP64 values without a ZIP64 locator (damaged archive)`);
    const at = u64(t, loc + 8);
    const rec = dv(readExact(fd, at, 56, file));
    if (rec.getUint32(0, true) !== EOCD64) throw new ZipError(`${file}: no ZIP64 end-of-central-directory record at byte ${at} (damaged archive)`);
    count = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
  }
  if (cdOffset + cdSize > size) throw new ZipError(`${file}: central directory (${cdSize} bytes at ${cdOffset}) goes past the end of the file (${size} bytes; truncated?)`);
  const cd = readExact(fd, cdOffset, cdSize, file);
  const c = dv(cd);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || c.getUint32(p, true) !== CENTRAL) throw new ZipError(`${file}: central directory entry ${i} is damaged`);
    const method = c.getUint16(p + 10, true);
    let compressedSize = c.getUint32(p + 20, true);
    let usize = c.getUint32(p + 24, true);
    const nameLen = c.getUint16(p + 28, true);
    const extraLen = c.getUint16(p + 30, true);
    const commentLen = c.getUint16(p + 32, true);
    let localHeader = c.getUint32(p + 42, true);
    const name = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra: the 8-byte values present are those whose 32-bit field is 0xFFFFFFFF, in this order.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = c.getUint16(e, true);
      const len = c.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        if (usize === 0xffffffff) { usize = u64(c, q); q += 8; }
        if (compressedSize === 0xffffffff) { compressedSize = u64(c, q); q += 8; }
        if (localHeader === 0xffffffff) { localHeader = u64(c, q); q += 8; }
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, size: usize, compressedSize, localHeader });
    p = eEnd + commentLen;
  }
  return entries;
}

/** Absolute offset of a STORED entry's data; refuses compressed entries and entries past the end. */
export function entryDataOffset(fd: number, file: string, e: ZipEntry): number {
  if (e.method !== 0) throw new ZipError(`${file}: entry '${e.name}' is compressed (method ${e.method}); torch.save stores entries uncompressed — was the archive re-zipped? Unzip and re-save it with torch.save`);
  const size = fstatSync(fd).size;
  if (e.localHeader + 30 > size) throw new ZipError(`${file}: entry '${e.name}' starts past the end of the file (truncated?)`);
  const h = dv(readExact(fd, e.localHeader, 30, file));
  if (h.getUint32(0, true) !== LOCAL) throw new ZipError(`${file}: entry '${e.name}' has no local header at byte ${e.localHeader} (damaged archive)`);
  const at = e.localHeader + 30 + h.getUint16(26, true) + h.getUint16(28, true);
  if (at + e.size > size) throw new ZipError(`${file}: entry '${e.name}' (${e.size} bytes at ${at}) goes past the end of the file (${size} bytes; truncated — download it again)`);
  return at;
}
