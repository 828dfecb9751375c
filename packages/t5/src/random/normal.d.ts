export interface TensorJob { seed: number; name: string; n: number; std?: number; fill?: number }
export function fnv1a(s: string): number;
export function normalStream(seed: number, name: string): (out: Float32Array, std: number) => void;
export function makeTensor(job: TensorJob): Float32Array;
