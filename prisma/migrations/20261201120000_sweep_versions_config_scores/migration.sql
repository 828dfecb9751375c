-- Issue 9, items 3 and 4: sweep versions, and views that never pool.
--
-- Sweep versions. A sweep name stands for one canonical spec (@ptune/sweep canonicalSpec, stored
-- in sweeps.spec). Re-submitting a name whose spec changed is refused unless a new version is
-- asked for (`--new-version`), which adds a row (name, version + 1). Older versions keep their
-- rows, memberships and results; readers use the latest version of a name unless told otherwise.
-- Rows from before this migration are version 1 with no stored spec (adopted on their next
-- submission).
ALTER TABLE "sweeps" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN "spec" JSONB;

DROP INDEX "sweeps_name_key";

CREATE UNIQUE INDEX "sweeps_name_version_key" ON "sweeps"("name", "version");

-- Views (docs/architecture.md, "SQL views"; examples in prisma/README.md). The views of
-- 20261126100100_views grouped scale_curve by (task, method, model) only, so a sweep that varied
-- prompt length or init averaged them together and called it "over seeds". They are replaced by
-- config_scores, which groups by EVERY axis but the seed: each row is exactly one configuration
-- (sweep version, task, method, model, prompt length, init), its mean, sample stddev (NULL when
-- n = 1) and n over seeds. A SELECT cannot pool configurations by accident; a figure picks its
-- rows (Figure 1: the baseline configuration; Figure 3: one axis varied, the other fixed).
DROP VIEW "scale_curve";
DROP VIEW "prompt_length_ablation";
DROP VIEW "init_ablation";
DROP VIEW "sweep_superglue_tasks";
DROP VIEW "trial_best";

-- One row per (sweep version, trial): a trial shared by overlapping sweeps, or by two versions of
-- one sweep, appears under each. `latest`: this row's sweep is the newest version of its name.
CREATE VIEW "trial_best" AS
SELECT s.id            AS sweep_id,
       s.name          AS sweep_name,
       s.version       AS sweep_version,
       (s.version = (SELECT max(v.version) FROM sweeps v WHERE v.name = s.name)) AS latest,
       t.id            AS trial_id,
       t.task,
       t.method,
       t.model,
       t.params,
       t.prompt_length,
       t.init,
       t.seed,
       t.state::text   AS state,
       t.metric,
       t.best_score,
       t.best_step
FROM sweeps s
JOIN sweep_trials st ON st.sweep_id = s.id
JOIN trials t        ON t.id = st.trial_id;

-- How many SuperGLUE tasks each sweep version has (any state): a SuperGLUE average needs all.
CREATE VIEW "sweep_superglue_tasks" AS
SELECT st.sweep_id, count(DISTINCT t.task)::int AS k
FROM sweep_trials st
JOIN trials t ON t.id = st.trial_id
WHERE ptune_is_superglue(t.task)
GROUP BY st.sweep_id;

-- task = 'superglue' rows (paper, Section 3: "SuperGLUE score"): for each seed of a
-- configuration, the mean of that seed's best scores over ALL the sweep's SuperGLUE tasks (a seed
-- missing a task yields no SuperGLUE score), then mean/stddev/n over seeds. Model tuning has no
-- prompt: its prompt_length and init are NULL (GROUP BY keeps NULLs together as one value).
CREATE VIEW "config_scores" AS
WITH done AS (
  SELECT * FROM trial_best WHERE state = 'completed' AND best_score IS NOT NULL
), superglue_seed AS (
  SELECT d.sweep_id, d.sweep_name, d.sweep_version, d.latest, d.method, d.model, d.params,
         d.prompt_length, d.init, d.seed, avg(d.best_score) AS score
  FROM done d JOIN sweep_superglue_tasks g ON g.sweep_id = d.sweep_id
  WHERE ptune_is_superglue(d.task)
  GROUP BY d.sweep_id, d.sweep_name, d.sweep_version, d.latest, d.method, d.model, d.params,
           d.prompt_length, d.init, d.seed, g.k
  HAVING count(DISTINCT d.task) = g.k
)
SELECT sweep_id, sweep_name, sweep_version, latest, task, method, model, params, prompt_length, init,
       avg(best_score) AS mean, stddev_samp(best_score) AS stddev, count(*)::int AS n
FROM done
GROUP BY sweep_id, sweep_name, sweep_version, latest, task, method, model, params, prompt_length, init
UNION ALL
SELECT sweep_id, sweep_name, sweep_version, latest, 'superglue', method, model, params, prompt_length, init,
       avg(score), stddev_samp(score), count(*)::int
FROM superglue_seed
GROUP BY sweep_id, sweep_name, sweep_version, latest, method, model, params, prompt_length, init;
