// T5 relative position buckets, exactly as transformers' T5Attention._relative_position_bucket
// (models/t5/modeling_t5.py): half the buckets hold exact small distances, the rest grow
// logarithmically up to max_distance. The log branch runs in float32 in PyTorch
// (`relative_position.float() / max_exact`, torch.log, division by the float32-cast
// math.log(max_distance / max_exact), multiplication, then `.to(torch.long)` truncation);
// Math.fround after each step reproduces it so boundary positions land in the same bucket.

/** Bucket of one relative position (memory_position - query_position). */
export function relativePositionBucket(relativePosition: number, bidirectional: boolean, numBuckets = 32, maxDistance = 128): number {
  let buckets = 0;
  let n = numBuckets;
  let rp = relativePosition;
  if (bidirectional) {
    n = Math.floor(n / 2);
    if (rp > 0) buckets += n;
    rp = Math.abs(rp);
  } else {
    rp = -Math.min(rp, 0);
  }
  const maxExact = Math.floor(n / 2);
  if (rp < maxExact) return buckets + rp;
  const f = Math.fround;
  const ratio = f(f(rp) / maxExact);
  const scaled = f(f(f(Math.log(ratio)) / f(Math.log(maxDistance / maxExact))) * (n - maxExact));
  const large = maxExact + Math.trunc(scaled);
  return buckets + Math.min(large, n - 1);
}

/**
 * The [queryLen, keyLen] bucket matrix (row-major int32) for attention of query i to key j,
 * relative position j - (i + queryOffset) as in T5Attention.compute_bias. Encoder self-attention:
 * bidirectional = true; decoder self-attention: false (queryOffset = cached length when decoding).
 */
export function relativePositionBuckets(
  queryLen: number, keyLen: number, bidirectional: boolean, numBuckets = 32, maxDistance = 128, queryOffset = 0,
): Int32Array {
  const out = new Int32Array(queryLen * keyLen);
  const memo = new Map<number, number>();
  for (let i = 0; i < queryLen; i++) {
    for (let j = 0; j < keyLen; j++) {
      const rp = j - (i + queryOffset);
      let b = memo.get(rp);
      if (b === undefined) memo.set(rp, (b = relativePositionBucket(rp, bidirectional, numBuckets, maxDistance)));
      out[i * keyLen + j] = b;
    }
  }
  return out;
}
