// The tensors T5ForConditionalGeneration needs, with Hugging Face names and torch shapes: the
// stored weights of the one weight tree (model/weights.ts), in model order.
import type { T5Config } from "../config.ts";
import { weightsOf } from "../model/weights.ts";

export interface ExpectedTensor {
  name: string;
  shape: number[];
  /** How the shape follows from config.json, for error messages. */
  why: string;
}

export function expectedT5Tensors(c: T5Config): ExpectedTensor[] {
  return weightsOf(c).stored.map(({ name, shape, why }) => ({ name, shape: [...shape], why }));
}

/** Names that may stand in for shared.weight (HF saves some checkpoints with these instead or as well). */
export const SHARED_ALIASES = ["shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"] as const;
