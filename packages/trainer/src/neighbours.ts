// Interpretability (paper §8): for each prompt position, the vocabulary tokens whose embeddings are
// nearest by cosine similarity.
import type { TokenizerLike } from "./tokenizer-like.ts";

export interface Neighbour {
  id: number;
  token: string;
  similarity: number;
}

/** Top-k neighbours per prompt position ([P][k]), most similar first; ties by lower id. Tokens are
 *  SentencePiece pieces when the tokenizer has idToPiece (the paper's tables show pieces). */
export function nearestNeighbours(promptArg: { data: Float32Array; len: number }, embeddings: Float32Array, k: number, tokenizer?: TokenizerLike): Neighbour[][] {
  const { data: prompt, len: P } = promptArg;
  const d = prompt.length / P;
  if (!Number.isInteger(d) || d <= 0 || embeddings.length % d !== 0) throw new Error(`nearestNeighbours: prompt (${prompt.length} values, len ${P}) and embeddings (${embeddings.length}) disagree on d_model`);
  if (!Number.isInteger(k) || k <= 0) throw new Error(`nearestNeighbours: k must be a positive integer, got ${k}`);
  const V = embeddings.length / d;
  const kk = Math.min(k, V);
  const norms = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += embeddings[v * d + j] ** 2;
    norms[v] = Math.sqrt(s);
  }
  const out: Neighbour[][] = [];
  for (let p = 0; p < P; p++) {
    const q = prompt.subarray(p * d, (p + 1) * d);
    let qn = 0;
    for (let j = 0; j < d; j++) qn += q[j] * q[j];
    qn = Math.sqrt(qn);
    const sims = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      let dot = 0;
      const o = v * d;
      for (let j = 0; j < d; j++) dot += q[j] * embeddings[o + j];
      const den = qn * norms[v];
      sims[v] = den > 0 ? dot / den : 0;
    }
    // partial selection: keep a sorted top-k list
    const top: number[] = [];
    for (let v = 0; v < V; v++) {
      if (top.length === kk && sims[v] <= sims[top[kk - 1]]) continue;
      let i = top.length;
      while (i > 0 && sims[top[i - 1]] < sims[v]) i--;
      top.splice(i, 0, v);
      if (top.length > kk) top.pop();
    }
    out.push(top.map((id) => ({ id, token: tokenizer ? (tokenizer.idToPiece?.(id) ?? tokenizer.decode([id])) : String(id), similarity: sims[id] })));
  }
  return out;
}
