// A stored trial and its best prompt, read from the database (shared by neighbours and export).
import { getTrial, loadBestCheckpoint, type Db, type TrialRow } from "@ptune/db";
import { parseStoredTrialConfig, promptFromState, type StoredPrompt, type StoredTrialConfig } from "./stored-trial.ts";

export interface TrialPrompt {
  trial: TrialRow;
  config: StoredTrialConfig;
  prompt: StoredPrompt;
}

/** The trial's row, parsed config and best-checkpoint prompt; one clear error when any is missing. */
export async function loadTrialPrompt(db: Db, trialId: string): Promise<TrialPrompt> {
  const trial = await getTrial(db, trialId);
  if (!trial) throw new Error(`no trial '${trialId}' in the database (list them with: ptune trials <sweep>)`);
  const config = parseStoredTrialConfig(trial.config, trialId);
  if (config.method !== "prompt_tuning") throw new Error(`trial '${trialId}' is ${config.method}: only prompt-tuning trials have a prompt`);
  const cp = await loadBestCheckpoint(db, trialId);
  if (!cp) throw new Error(`trial '${trialId}' (${trial.state}) has no best checkpoint yet: it stores one at its first dev evaluation`);
  return { trial, config, prompt: promptFromState(cp.state, trialId) };
}
