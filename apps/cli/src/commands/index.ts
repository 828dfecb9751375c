import type { Command } from "../command.ts";
import { command as benchEngine } from "./bench-engine.ts";
import { command as benchGpu } from "./bench-gpu.ts";
import { command as benchOrchestrator } from "./bench-orchestrator.ts";
import { command as cancel } from "./cancel.ts";
import { command as checkParity } from "./check-parity.ts";
import { command as dashboard } from "./dashboard.ts";
import { command as dbMigrate } from "./db-migrate.ts";
import { command as ensemble } from "./ensemble.ts";
import { command as exportPrompt } from "./export.ts";
import { command as importPrompt } from "./import.ts";
import { command as modelsInit } from "./models-init.ts";
import { command as neighbours } from "./neighbours.ts";
import { command as report } from "./report.ts";
import { command as retry } from "./retry.ts";
import { command as run } from "./run.ts";
import { command as status } from "./status.ts";
import { command as submit } from "./submit.ts";
import { command as trials } from "./trials.ts";
import { command as validate } from "./validate.ts";
import { command as worker } from "./worker.ts";

// Every command, in the order `ptune --help` lists them: the local quickstart, the distributed
// workflow, results and analyses, models and the engine, then benchmarks. Add new ones here.
export const commands: Command[] = [
  run,
  validate,
  submit,
  worker,
  status,
  trials,
  cancel,
  retry,
  report,
  dashboard,
  ensemble,
  neighbours,
  exportPrompt,
  importPrompt,
  modelsInit,
  checkParity,
  dbMigrate,
  benchEngine,
  benchOrchestrator,
  benchGpu,
];
