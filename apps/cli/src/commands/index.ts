import type { Command } from "../command.ts";

// Every command, in the order `ptune --help` lists them. Add new ones here.
export const commands: Command[] = [];

import { command as reportCommand } from "./report.ts";
commands.push(reportCommand);

import { command as modelsInitCommand } from "./models-init.ts";
commands.push(modelsInitCommand);

import { command as runCommand } from "./run.ts";
import { command as statusCommand } from "./status.ts";
import { command as trialsCommand } from "./trials.ts";
commands.push(runCommand, statusCommand, trialsCommand);

import { command as submitCommand } from "./submit.ts";
import { command as workerCommand } from "./worker.ts";
import { command as cancelCommand } from "./cancel.ts";
import { command as retryCommand } from "./retry.ts";
import { command as benchOrchestratorCommand } from "./bench-orchestrator.ts";
commands.push(submitCommand, workerCommand, cancelCommand, retryCommand, benchOrchestratorCommand);

import { command as dashboardCommand } from "./dashboard.ts";
commands.push(dashboardCommand);

import { command as checkParityCommand } from "./check-parity.ts";
import { command as benchEngineCommand } from "./bench-engine.ts";
commands.push(checkParityCommand, benchEngineCommand);

import { command as dbMigrateCommand } from "./db-migrate.ts";
commands.push(dbMigrateCommand);

import { command as benchGpuCommand } from "./bench-gpu.ts";
commands.push(benchGpuCommand);

// post-training analyses (issue #6): Table 3 ensembles, nearest neighbours, prompt export/import
import { command as ensembleCommand } from "./ensemble.ts";
import { command as neighboursCommand } from "./neighbours.ts";
import { command as exportCommand } from "./export.ts";
import { command as importCommand } from "./import.ts";
commands.push(ensembleCommand, neighboursCommand, exportCommand, importCommand);
