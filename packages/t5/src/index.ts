// @ptune/t5 public API. Each line re-exports one concept; see docs/architecture.md.
export * from "./config.ts";
export * from "./checkpoint/checkpoint.ts";
export { SafetensorsFile, SafetensorsError, readSafetensorsFile, asInt32, numel, type TensorInfo, type LoadedTensor, type TensorData } from "./checkpoint/safetensors.ts";
export { writeSafetensors, type WriteEntry, type WriteData } from "./checkpoint/writer.ts";
export { expectedT5Tensors, type ExpectedTensor } from "./checkpoint/t5-tensors.ts";
export { toFloat32, fromFloat32, DTYPE_SIZE, type Dtype } from "./checkpoint/dtype.ts";
export { T5Tokenizer, TokenizerError } from "./tokenizer/tokenizer.ts";
export { PrecompiledCharsmap } from "./tokenizer/precompiled.ts";
export { relativePositionBucket, relativePositionBuckets } from "./relative-position.ts";
export { initRandomT5, T5_PRESETS, DEFAULT_WORDS, type InitRandomT5Options, type InitRandomT5Result } from "./random-init.ts";
export { buildUnigramTokenizerJson } from "./tokenizer/build-unigram.ts";
export { T5Engine, FP16_LOSS_SCALE, BatchError, type Batch, type EncoderBatch, type EngineOptions, type SharedPrompt, type PerExamplePrompt, type TunedView, type ForwardResult, type GreedyOptions } from "./engine.ts";
export { layerNorm, geluNew, attention, feedForward, encoder, decoder, lmHead, encoderInput, positionBias, type WeightFn } from "./model/t5.ts";
export { buildGraph, graphId, graphKey, type GraphId, type GraphKind, type PromptMode } from "./graphs/build.ts";
export { cacheRoot, GRAPH_VERSION } from "./graphs/cache.ts";
export { checkParity, compareTensors, goldenInputs, type ParityRow, type ParityChecker, type Golden, type Tolerance } from "./parity/check-parity.ts";
export { storedDtype, type Precision } from "./model/t5.ts";
export { tokenizerJsonFromSpiece, parseSentencePieceModel } from "./tokenizer/spiece.ts";
