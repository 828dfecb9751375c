-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "SweepState" AS ENUM ('active', 'cancelled');

-- CreateEnum
CREATE TYPE "TrialState" AS ENUM ('queued', 'running', 'completed', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "AttemptOutcome" AS ENUM ('running', 'completed', 'failed', 'cancelled', 'superseded');

-- CreateEnum
CREATE TYPE "CheckpointKind" AS ENUM ('latest', 'best');

-- CreateTable
CREATE TABLE "sweeps" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "yaml" TEXT NOT NULL,
    "state" "SweepState" NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sweeps_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sweep_trials" (
    "sweep_id" INTEGER NOT NULL,
    "trial_id" TEXT NOT NULL,

    CONSTRAINT "sweep_trials_pkey" PRIMARY KEY ("sweep_id","trial_id")
);

-- CreateTable
CREATE TABLE "trials" (
    "id" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "model" TEXT NOT NULL,
    "size" TEXT NOT NULL,
    "task" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "prompt_length" INTEGER,
    "init" TEXT,
    "seed" INTEGER NOT NULL,
    "params" BIGINT NOT NULL,
    "state" "TrialState" NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "current_attempt" INTEGER NOT NULL DEFAULT 0,
    "metric" TEXT,
    "best_score" DOUBLE PRECISION,
    "best_step" INTEGER,
    "result" JSONB,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "trials_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "attempts" (
    "id" SERIAL NOT NULL,
    "trial_id" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "worker_id" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),
    "outcome" "AttemptOutcome" NOT NULL DEFAULT 'running',
    "error" TEXT,

    CONSTRAINT "attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "step_metrics" (
    "trial_id" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "step_metrics_pkey" PRIMARY KEY ("trial_id","step","name")
);

-- CreateTable
CREATE TABLE "evaluations" (
    "trial_id" TEXT NOT NULL,
    "split" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "metrics" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "evaluations_pkey" PRIMARY KEY ("trial_id","split","step")
);

-- CreateTable
CREATE TABLE "checkpoints" (
    "trial_id" TEXT NOT NULL,
    "kind" "CheckpointKind" NOT NULL,
    "step" INTEGER NOT NULL,
    "attempt" INTEGER NOT NULL,
    "state" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "checkpoints_pkey" PRIMARY KEY ("trial_id","kind")
);

-- CreateTable
CREATE TABLE "workers" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "devices" JSONB NOT NULL,
    "sizes" TEXT[],
    "state" TEXT NOT NULL,
    "trial_id" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "workers_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "sweeps_name_key" ON "sweeps"("name");

-- CreateIndex
CREATE INDEX "sweep_trials_trial_id_idx" ON "sweep_trials"("trial_id");

-- CreateIndex
CREATE INDEX "trials_state_idx" ON "trials"("state");

-- CreateIndex
CREATE UNIQUE INDEX "attempts_trial_id_number_key" ON "attempts"("trial_id", "number");

-- AddForeignKey
ALTER TABLE "sweep_trials" ADD CONSTRAINT "sweep_trials_sweep_id_fkey" FOREIGN KEY ("sweep_id") REFERENCES "sweeps"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sweep_trials" ADD CONSTRAINT "sweep_trials_trial_id_fkey" FOREIGN KEY ("trial_id") REFERENCES "trials"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attempts" ADD CONSTRAINT "attempts_trial_id_fkey" FOREIGN KEY ("trial_id") REFERENCES "trials"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "step_metrics" ADD CONSTRAINT "step_metrics_trial_id_fkey" FOREIGN KEY ("trial_id") REFERENCES "trials"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "evaluations" ADD CONSTRAINT "evaluations_trial_id_fkey" FOREIGN KEY ("trial_id") REFERENCES "trials"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_trial_id_fkey" FOREIGN KEY ("trial_id") REFERENCES "trials"("id") ON DELETE CASCADE ON UPDATE CASCADE;
