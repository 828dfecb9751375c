// Reverse-mode differentiation over a built graph: one backward walk from `loss`, calling each
// node's VJP rule (ops.ts RULES) and summing cotangents where a tensor fans out. The walk, not the
// rules, undoes broadcasting: each input's cotangent is summed back to that input's shape
// (unbroadcast), as tinygrad's backward does. Rules return every input's cotangent; those no
// `wrt` tensor depends on are dropped here, and nodes the outputs do not reach are left out when
// the graph is saved (serialize.ts). An op without a rule on the path fails with its name.
import { isFloat } from "./dtype.ts";
import type { Node, Tensor } from "./graph.ts";
import { add, constantOfShape, shapeOf, unbroadcast, RULES } from "./ops.ts";

/** Nodes that `roots` depend on, in topological order (inputs before users). */
export function topoOrder(roots: Tensor[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  // iterative DFS: deep transformer graphs overflow a recursive walk
  const stack: { node: Node; i: number }[] = [];
  for (const r of roots) {
    if (!r.node || seen.has(r.node)) continue;
    seen.add(r.node);
    stack.push({ node: r.node, i: 0 });
    while (stack.length) {
      const top = stack[stack.length - 1];
      const next = top.node.inputs[top.i++];
      if (next === undefined) {
        order.push(top.node);
        stack.pop();
      } else if (next.node && !seen.has(next.node)) {
        seen.add(next.node);
        stack.push({ node: next.node, i: 0 });
      }
    }
  }
  return order;
}

/**
 * d loss / d wrt[i] for each i. `loss` is usually a scalar; for a non-scalar loss pass `seed`
 * (the output cotangent), otherwise ones are used (the gradient of sum(loss)).
 */
export function grad(loss: Tensor, wrt: Tensor[], seed?: Tensor): Tensor[] {
  const order = topoOrder([loss]);
  // which tensors depend on a wrt tensor (only those carry cotangents)
  const live = new Set<Tensor>(wrt);
  for (const n of order) {
    if (isFloat(n.output.dtype) && n.inputs.some((x) => live.has(x))) live.add(n.output);
  }
  if (!live.has(loss)) {
    throw new Error(`grad: ${loss.name} does not depend on ${wrt.map((w) => w.name).join(", ")}`);
  }
  const cot = new Map<Tensor, Tensor>();
  const accumulate = (t: Tensor, g: Tensor) => {
    const prev = cot.get(t);
    cot.set(t, prev ? add(prev, g) : g);
  };
  cot.set(loss, seed ?? constantOfShape(shapeOf(loss), loss.dtype, 1, loss.shape));
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    const g = cot.get(node.output);
    if (!g) continue;
    if (!node.inputs.some((x) => live.has(x))) continue;
    const rule = RULES.get(node.opType);
    if (!rule || rule.vjp === undefined) {
      throw new Error(`grad: no VJP rule for op '${node.opType}' (node ${node.name}, output ${node.output.toString()})`);
    }
    if (rule.vjp === "nondiff") continue;
    const gs = rule.vjp(g, { inputs: node.inputs, out: node.output, attrs: node.attrs });
    node.inputs.forEach((x, i) => {
      const gi = gs[i];
      if (gi && live.has(x)) accumulate(x, unbroadcast(gi, x.shape));
    });
  }
  return wrt.map((w) => cot.get(w) ?? constantOfShape(shapeOf(w), w.dtype, 0, w.shape));
}
