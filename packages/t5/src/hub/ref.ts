// Hugging Face references: `hf:<org>/<name>[@<revision>]` (a model) and
// `hf:datasets/<org>/<name>[/<config>][@<revision>]` (a dataset, optionally one config folder).
// The revision is a branch, tag or commit as on the hub (`@refs/convert/parquet` included).

export class HubError extends Error {
  override name = "HubError";
}

export interface HubRef {
  kind: "model" | "dataset";
  /** "org/name" */
  repoId: string;
  revision: string;
  /** Dataset config folder inside the repo ("boolq"), if named. */
  subdir?: string;
  /** The reference as written. */
  text: string;
}

const PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const isHubRef = (s: string) => s.startsWith("hf:");

export function parseHubRef(text: string): HubRef {
  if (!isHubRef(text)) throw new HubError(`'${text}' is not a Hugging Face reference (expected hf:<org>/<name>[@<revision>] or hf:datasets/<org>/<name>[/<config>][@<revision>])`);
  const at = text.indexOf("@");
  const body = text.slice(3, at < 0 ? undefined : at);
  const revision = at < 0 ? "main" : text.slice(at + 1);
  const bad = (why: string): never => {
    throw new HubError(`'${text}': ${why} (expected hf:<org>/<name>[@<revision>] or hf:datasets/<org>/<name>[/<config>][@<revision>])`);
  };
  if (!revision || revision.includes("..") || revision.startsWith("/")) bad(`bad revision '${revision}'`);
  const parts = body.split("/");
  const dataset = parts[0] === "datasets";
  if (dataset) parts.shift();
  if (parts.length < 2 || (!dataset && parts.length > 2) || parts.length > 3) bad(dataset ? "a dataset needs <org>/<name> and at most one config" : "a model needs exactly <org>/<name>");
  for (const p of parts) if (!PART.test(p)) bad(`'${p}' is not a valid repository name part`);
  return { kind: dataset ? "dataset" : "model", repoId: `${parts[0]}/${parts[1]}`, revision, ...(parts[2] !== undefined && { subdir: parts[2] }), text };
}

/** Folder name of a repo in the cache (huggingface_hub `repo_folder_name`): models--org--name. */
export const repoFolderName = (r: Pick<HubRef, "kind" | "repoId">) => `${r.kind}s--${r.repoId.replaceAll("/", "--")}`;

/** The hub id as PEFT / transformers write it (`base_model_name_or_path`). */
export const hubId = (r: HubRef) => r.repoId;
