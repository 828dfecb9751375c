// PNG checks shared by the report and dashboard tests: signature, IHDR size, and that the
// picture is not blank (decoded with pngjs, distinct colours counted).
import { PNG } from "pngjs";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function pngInfo(bytes: Uint8Array): { width: number; height: number; colours: number; nonWhite: number } {
  if (!SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error("not a PNG: bad signature");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The first chunk must be IHDR (PNG spec 11.2.2): length 13, width and height big-endian.
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (type !== "IHDR") throw new Error(`first PNG chunk is ${type}, expected IHDR`);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const png = PNG.sync.read(Buffer.from(bytes));
  const colours = new Set<number>();
  let nonWhite = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const c = png.data.readUInt32BE(i);
    colours.add(c);
    if (c !== 0xffffffff) nonWhite++;
  }
  return { width, height, colours: colours.size, nonWhite };
}
