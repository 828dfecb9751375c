// @ptune/t5/bench: benchmarks, kept out of the package barrel (importing them costs test time;
// issue #9). Each line re-exports one benchmark.
export { benchEngine, promptStepFlops, t5ForwardMacs, type EngineBenchOptions, type EngineBenchResult, type BenchShape } from "./engine-bench.ts";
export { benchGpu, loadAnchor, activationBytes, PEFT_SHAPE, PAPER_TRIAL_STEPS, type GpuBenchOptions, type GpuBenchResult, type GpuBenchRow, type PackedRow, type Anchor } from "./gpu-bench.ts";
export { precisionParity, compareGrads, type PrecisionParity } from "./precision-parity.ts";
export { benchMemory, dirBytes, type MemoryBenchOptions, type MemoryBenchResult, type MemoryPhase } from "./memory-bench.ts";
