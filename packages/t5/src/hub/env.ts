// The environment huggingface_hub reads (huggingface_hub/constants.py), so ptune and Python tools
// share one cache and one login: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub;
// HF_HUB_OFFLINE=1 forbids the network; HF_TOKEN (else the token file `huggingface-cli login`
// writes to HF_HOME/token); HF_ENDPOINT (default https://huggingface.co).
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface HubEnv {
  cacheDir: string;
  offline: boolean;
  endpoint: string;
  token?: string;
}

const truthy = (v: string | undefined) => v !== undefined && ["1", "on", "yes", "true"].includes(v.trim().toLowerCase());

export function hubEnv(env: NodeJS.ProcessEnv = process.env): HubEnv {
  const home = env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "huggingface");
  const cacheDir = env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE ?? path.join(home, "hub");
  const tokenFile = env.HF_TOKEN_PATH ?? path.join(home, "token");
  let token = env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN;
  if (!token && existsSync(tokenFile)) token = readFileSync(tokenFile, "utf8").trim() || undefined;
  return {
    cacheDir,
    offline: truthy(env.HF_HUB_OFFLINE) || truthy(env.TRANSFORMERS_OFFLINE),
    endpoint: (env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, ""),
    ...(token && { token }),
  };
}
