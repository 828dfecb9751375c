// Graph -> ModelProto bytes on disk. Big initializers never sit in the protobuf: they are either
// already in an external data file (InitData.external, e.g. weights streamed from a checkpoint by
// ExternalDataWriter) or moved there by saveModel (`externalThreshold`). External data follows
// onnx/docs/ExternalData.md: data_location=EXTERNAL and external_data {location, offset, length},
// location relative to the model's directory.
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { DTYPES, encodeValues } from "./dtype.ts";
import { topoOrder } from "./grad.ts";
import type { AttrValue, Graph, Initializer, Tensor } from "./graph.ts";
import { ATTR, DATA_LOCATION, IR_VERSION, ModelProto, OPSET } from "./proto.ts";

/** Appends tensors to one binary file, each aligned to 4 KiB so onnxruntime can memory-map them. */
export class ExternalDataWriter {
  private fd: number;
  private offset = 0;
  readonly location: string;
  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, "w");
    this.location = path.basename(file);
  }
  append(bytes: Uint8Array): { location: string; offset: number; length: number } {
    const aligned = Math.ceil(this.offset / 4096) * 4096;
    if (aligned > this.offset) writeSync(this.fd, new Uint8Array(aligned - this.offset), 0, aligned - this.offset, this.offset);
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(this.fd, bytes, done, bytes.byteLength - done, aligned + done);
    this.offset = aligned + bytes.byteLength;
    return { location: this.location, offset: aligned, length: bytes.byteLength };
  }
  close(): void {
    closeSync(this.fd);
  }
}

export interface SaveOptions {
  /** initializers with inline data at least this big go to `<model>.data` (default: never) */
  externalThreshold?: number;
  docString?: string;
}

const dimProto = (d: number | string) => (typeof d === "number" ? { dimValue: d } : { dimParam: d });
const valueInfo = (t: Tensor) => ({
  name: t.name,
  type: { tensorType: { elemType: DTYPES[t.dtype].code, shape: { dim: t.shape.map(dimProto) } } },
});

function attrProto(name: string, a: AttrValue) {
  switch (a.kind) {
    case "int":
      return { name, type: ATTR.INT, i: a.v };
    case "float":
      return { name, type: ATTR.FLOAT, f: a.v };
    case "string":
      return { name, type: ATTR.STRING, s: new TextEncoder().encode(a.v) };
    case "ints":
      return { name, type: ATTR.INTS, ints: a.v };
    case "floats":
      return { name, type: ATTR.FLOATS, floats: a.v };
    case "tensor":
      return { name, type: ATTR.TENSOR, t: { dims: [1], dataType: DTYPES[a.dtype].code, rawData: encodeValues(a.dtype, a.v) } };
  }
}

function initProto(init: Initializer, side: () => ExternalDataWriter, threshold: number) {
  const t = init.tensor;
  const base = { name: t.name, dims: t.shape as number[], dataType: DTYPES[t.dtype].code };
  let ext = "external" in init.data ? init.data.external : undefined;
  if (!ext && "bytes" in init.data && init.data.bytes.byteLength >= threshold) ext = side().append(init.data.bytes);
  if (!ext) return { ...base, rawData: (init.data as { bytes: Uint8Array }).bytes };
  return {
    ...base,
    dataLocation: DATA_LOCATION.EXTERNAL,
    externalData: [
      { key: "location", value: ext.location },
      { key: "offset", value: String(ext.offset) },
      { key: "length", value: String(ext.length) },
    ],
  };
}

/**
 * The nodes and initializers the outputs depend on, in the graph's (topological) order: a VJP rule
 * builds every input's cotangent, and the ones nothing uses must not cost a kernel or a weight.
 */
export function reachable(graph: Graph): { nodes: Graph["nodes"]; initializers: Initializer[] } {
  const keep = new Set(topoOrder(graph.outputs));
  const used = new Set<Tensor>(graph.outputs);
  for (const n of keep) for (const x of n.inputs) used.add(x);
  return { nodes: graph.nodes.filter((n) => keep.has(n)), initializers: graph.initializers.filter((i) => used.has(i.tensor)) };
}

/** Serialises the part of `graph` its outputs reach (they must be set) to `file`; returns the path written. */
export function saveModel(graph: Graph, file: string, opts: SaveOptions = {}): string {
  if (graph.outputs.length === 0) throw new Error(`saveModel(${file}): graph '${graph.name}' has no outputs`);
  const { nodes, initializers } = reachable(graph);
  mkdirSync(path.dirname(file), { recursive: true });
  let writer: ExternalDataWriter | undefined;
  const side = () => (writer ??= new ExternalDataWriter(`${file}.data`));
  const model = {
    irVersion: IR_VERSION,
    producerName: "ptune",
    producerVersion: "0.1.0",
    docString: opts.docString ?? "",
    opsetImport: [{ domain: "", version: OPSET }],
    graph: {
      name: graph.name,
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      initializer: initializers.map((i) => initProto(i, side, opts.externalThreshold ?? Infinity)),
      node: nodes.map((n) => ({
        name: n.name,
        opType: n.opType,
        input: n.inputs.map((x) => x.name),
        output: [n.output.name],
        attribute: Object.entries(n.attrs)
          .filter(([k]) => !k.startsWith("__"))
          .map(([k, v]) => attrProto(k, v)),
      })),
    },
  };
  const err = ModelProto.verify(model);
  if (err) throw new Error(`saveModel(${file}): invalid ModelProto: ${err}`);
  const bytes = ModelProto.encode(ModelProto.fromObject(model)).finish();
  writer?.close();
  // write then rename: a concurrent reader of the cache never sees half a model
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
  return file;
}
