// Composite functions built only from primitives (no VJP rules of their own).
import type { Tensor } from "./graph.ts";
import { cast, equal, logSoftmax, mul, neg, not, range, reduceSum, unsqueeze } from "./ops.ts";

/**
 * Token cross-entropy with ignored positions, like torch.nn.CrossEntropyLoss(ignore_index=-100,
 * reduction="none"): logits [..., V] and int64 labels [...]. The target log-probability is picked
 * with a one-hot mask (labels == arange(V)); an ignored label (-100) matches no class, so its row
 * contributes 0. Returns the per-position NLL and the 0/1 mask of counted positions.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, ignoreIndex = -100): { nll: Tensor; valid: Tensor; targetLogp: Tensor } {
  const g = logits.graph;
  const V = logits.shape[logits.rank - 1];
  if (typeof V !== "number") throw new Error("crossEntropy: the class dim of logits must be static");
  const logp = logSoftmax(logits, -1); // [..., V]
  const classes = range(g.scalar("int64", 0), g.scalar("int64", V), g.scalar("int64", 1), [V]);
  const onehot = cast(equal(unsqueeze(labels, [labels.rank]), classes), logits.dtype); // [..., V]
  const targetLogp = reduceSum(mul(logp, onehot), [-1], false); // [...]
  const valid = cast(not(equal(labels, g.scalar("int64", ignoreIndex))), logits.dtype);
  return { nll: neg(targetLogp), valid, targetLogp };
}
