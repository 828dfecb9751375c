// `ptune eval`: score a soft prompt on a frozen model and a task split: the paper's released prompts
// (`pretrained_prompts/t5_1_1_lm100k_base/rte.npy`), a PEFT adapter, or a trial's best prompt. A
// trial's prompt defaults its model, task and data to the trial's, and its result is stored in the
// database (evaluations, split 'eval_<split>'); a file prompt needs no database and is printed only.
import { existsSync } from "node:fs";
import { resolveTrialId } from "@ptune/db";
import { progressBar } from "@ptune/t5";
import { evalSplitName, evaluatePrompt, importPrompt, loadTrialPrompt, storePromptEvaluation } from "@ptune/trainer";
import type { Split } from "@ptune/tasks";
import { CliError, type Command } from "../command.ts";
import { withSession } from "../database.ts";
import { intOption } from "./int-option.ts";

const USAGE = "ptune eval --prompt <file.npy|peft-dir|trial-id> [--model <dir|hf:org/name[@rev]>] [--task <task>] [--data <dir|hf:datasets/org/name/config[@rev]>] [--split validation|train|test] [--batch-size N] [--max-examples N] [--device cpu|cuda] [--cache-dir DIR] [--json]";
const SPLITS = ["validation", "train", "test"] as const;

export const command: Command = {
  name: "eval",
  summary: "score a prompt (.npy, PEFT adapter or trial) on a model and task split with the task's T5 metrics",
  usage: USAGE,
  example: "ptune eval --prompt pretrained_prompts/t5_1_1_lm100k_base/rte.npy --model hf:google/t5-base-lm-adapt --task rte --data hf:datasets/aps/super_glue/rte@refs/convert/parquet",
  options: {
    prompt: { type: "string", description: "the prompt: a .npy file, a PEFT adapter folder, or a trial id (or unique prefix) in the database" },
    model: { type: "string", description: "checkpoint folder or hf:<org>/<name>[@rev] (default: the trial's, or the adapter's base model)" },
    task: { type: "string", description: "task name, e.g. rte or boolq (default: the trial's)" },
    data: { type: "string", description: "task data folder or hf:datasets/<org>/<name>/<config>[@rev] (default: the trial's)" },
    split: { type: "string", description: "validation, train or test", default: "validation" },
    "batch-size": { type: "string", description: "examples per evaluation batch", default: "32" },
    "max-examples": { type: "string", description: "score only the first N examples of the split (default: all)" },
    device: { type: "string", description: "cpu or cuda", default: "cpu" },
    "cache-dir": { type: "string", description: "where built ONNX graphs are cached (default: the user cache folder)" },
  },
  async run({ positionals, values }, io) {
    if (positionals.length) throw new CliError(`unexpected argument '${positionals[0]}'\nusage: ${USAGE}`, 2);
    const promptArg = values.prompt as string | undefined;
    if (!promptArg) throw new CliError(`--prompt is required\nusage: ${USAGE}`, 2);
    const split = ((values.split as string | undefined) ?? "validation") as Split;
    if (!SPLITS.includes(split as (typeof SPLITS)[number])) throw new CliError(`--split must be one of ${SPLITS.join(", ")}, got '${split}'`, 2);
    const device = (values.device as string | undefined) ?? "cpu";
    if (device !== "cpu" && device !== "cuda") throw new CliError(`--device must be cpu or cuda, got '${device}'`, 2);
    const batchSize = intOption(values, "batch-size");
    const maxExamples = intOption(values, "max-examples");
    const common = { split, device: device as "cpu" | "cuda", batchSize, maxExamples, cacheDir: values["cache-dir"] as string | undefined, resolve: { onProgress: io.json ? undefined : progressBar(), log: (l: string) => io.err(l) } };
    const print = (r: Awaited<ReturnType<typeof evaluatePrompt>>, from: string, stored?: string) => {
      if (io.json) io.out(JSON.stringify({ ok: true, prompt: from, ...r, ...(stored && { stored }) }));
      else {
        io.out(`${from} on ${r.model} / ${r.task} ${r.split} (${r.examples} examples):`);
        for (const [k, v] of Object.entries(r.metrics)) io.out(`  ${k.padEnd(10)} ${v.toFixed(2)}`);
        if (stored) io.out(`stored as ${stored}`);
      }
    };
    try {
      if (existsSync(promptArg)) {
        const p = importPrompt(promptArg);
        for (const n of p.notes) io.err(`note: ${n}`);
        const model = (values.model as string | undefined) ?? (p.config?.base_model_name_or_path ? `hf:${p.config.base_model_name_or_path}` : undefined);
        const task = values.task as string | undefined;
        if (!model || !task) throw new CliError(`a prompt file needs --model and --task${p.config?.base_model_name_or_path ? "" : " (the file names no base model)"}\nusage: ${USAGE}`, 2);
        print(await evaluatePrompt({ ...common, prompt: p, model, task, dataDir: values.data as string | undefined }), p.path);
        return 0;
      }
      // Not a file: a trial id (or unique prefix) in the database.
      return await withSession({ migrate: false }, async (c) => {
        const id = await resolveTrialId(c.db, promptArg);
        const t = await loadTrialPrompt(c.db, id);
        const r = await evaluatePrompt({
          ...common,
          prompt: t.prompt,
          model: (values.model as string | undefined) ?? t.config.model.checkpoint,
          task: (values.task as string | undefined) ?? t.config.task.name,
          dataDir: (values.data as string | undefined) ?? t.config.task.dataDir,
          maxInputLength: t.config.training.maxInputLength,
          maxTargetLength: t.config.training.maxTargetLength,
        });
        await storePromptEvaluation(c.db, id, split, t.prompt.step, r.metrics);
        print(r, `trial ${id} (best prompt, step ${t.prompt.step})`, `evaluations(${id.slice(0, 12)}, ${evalSplitName(split)}, step ${t.prompt.step})`);
        return 0;
      });
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError((e as Error).message);
    }
  },
};
