// @ptune/onnx: build ONNX graphs in TypeScript, differentiate them, save and run them.
export { DTYPES, isFloat, encodeValues, type DType, type FloatDType, type HostData } from "./dtype.ts";
export { Graph, Tensor, attr, type Dim, type Shape, type Node, type Attrs, type AttrValue, type InitData } from "./graph.ts";
export * as ops from "./ops.ts";
export { defineOp, FLUSH_LOG_PROB, RULES, unbroadcast, type VjpRule, type VjpContext } from "./ops.ts";
export { grad, topoOrder } from "./grad.ts";
export { crossEntropy } from "./nn.ts";
export { saveModel, reachable, ExternalDataWriter, type SaveOptions } from "./serialize.ts";
export { createSession, toOrt, fromOrt, Session, ort, type SessionOptions } from "./session.ts";
export { checkVjp, type VjpInput, type VjpReport } from "./check-vjp.ts";
export { mulberry32, normals } from "./rng.ts";
export { isStatic, numel, broadcastShapes } from "./shape.ts";
