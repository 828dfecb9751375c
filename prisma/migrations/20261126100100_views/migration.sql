-- The read side of ptune: views over trials that @ptune/report and the dashboard query
-- (docs/architecture.md, "SQL views"; examples in prisma/README.md). Views are not part of
-- schema.prisma, so they live in this hand-written migration, which `prisma migrate deploy`
-- and ptune's offline runner (`ptune db migrate`) apply alike.
--
-- Scores are each trial's best dev score (trials.best_score, 0-100 as reported by the trainer).
-- The curves aggregate COMPLETED trials only, over seeds: mean, sample standard deviation
-- (NULL when n = 1) and n. A curve row averages every completed trial of its group, so a
-- sweep that also varies prompt length or init mixes them in scale_curve; the two ablation
-- views keep those axes apart.
--
-- task = 'superglue' rows (paper, Section 3: "SuperGLUE score"): for each seed, the mean of
-- that seed's best scores over ALL the SuperGLUE tasks the sweep has (a seed missing a task
-- yields no SuperGLUE score), then mean/stddev/n over seeds, per (sweep, method, model).
-- The ablation views leave out trials without the ablated axis (model tuning has no prompt).

-- SuperGLUE's eight scored tasks, with or without a "superglue/" style prefix; the
-- diagnostics (AX-b, AX-g) are not part of the average.
CREATE OR REPLACE FUNCTION ptune_is_superglue(task text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(task) ~ '^(super_?glue[/:._-])?(boolq|cb|copa|multirc|record|rte|wic|wsc)([._-]fixed)?$'
$$;

-- One row per (sweep, trial): a trial shared by overlapping sweeps appears under each.
CREATE VIEW "trial_best" AS
SELECT s.id            AS sweep_id,
       s.name          AS sweep_name,
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

-- How many SuperGLUE tasks each sweep has (any state): a SuperGLUE average needs all of them.
CREATE VIEW "sweep_superglue_tasks" AS
SELECT st.sweep_id, count(DISTINCT t.task)::int AS k
FROM sweep_trials st
JOIN trials t ON t.id = st.trial_id
WHERE ptune_is_superglue(t.task)
GROUP BY st.sweep_id;

CREATE VIEW "scale_curve" AS
WITH done AS (
  SELECT * FROM trial_best WHERE state = 'completed' AND best_score IS NOT NULL
), superglue_seed AS (
  SELECT d.sweep_id, d.sweep_name, d.method, d.model, d.params, d.seed, avg(d.best_score) AS score
  FROM done d JOIN sweep_superglue_tasks g ON g.sweep_id = d.sweep_id
  WHERE ptune_is_superglue(d.task)
  GROUP BY d.sweep_id, d.sweep_name, d.method, d.model, d.params, d.seed, g.k
  HAVING count(DISTINCT d.task) = g.k
)
SELECT sweep_id, sweep_name, task, method, model, params,
       avg(best_score) AS mean, stddev_samp(best_score) AS stddev, count(*)::int AS n
FROM done
GROUP BY sweep_id, sweep_name, task, method, model, params
UNION ALL
SELECT sweep_id, sweep_name, 'superglue', method, model, params,
       avg(score), stddev_samp(score), count(*)::int
FROM superglue_seed
GROUP BY sweep_id, sweep_name, method, model, params;

CREATE VIEW "prompt_length_ablation" AS
WITH done AS (
  SELECT * FROM trial_best WHERE state = 'completed' AND best_score IS NOT NULL AND prompt_length IS NOT NULL
), superglue_seed AS (
  SELECT d.sweep_id, d.sweep_name, d.method, d.model, d.params, d.prompt_length, d.seed, avg(d.best_score) AS score
  FROM done d JOIN sweep_superglue_tasks g ON g.sweep_id = d.sweep_id
  WHERE ptune_is_superglue(d.task)
  GROUP BY d.sweep_id, d.sweep_name, d.method, d.model, d.params, d.prompt_length, d.seed, g.k
  HAVING count(DISTINCT d.task) = g.k
)
SELECT sweep_id, sweep_name, task, method, model, params, prompt_length,
       avg(best_score) AS mean, stddev_samp(best_score) AS stddev, count(*)::int AS n
FROM done
GROUP BY sweep_id, sweep_name, task, method, model, params, prompt_length
UNION ALL
SELECT sweep_id, sweep_name, 'superglue', method, model, params, prompt_length,
       avg(score), stddev_samp(score), count(*)::int
FROM superglue_seed
GROUP BY sweep_id, sweep_name, method, model, params, prompt_length;

CREATE VIEW "init_ablation" AS
WITH done AS (
  SELECT * FROM trial_best WHERE state = 'completed' AND best_score IS NOT NULL AND init IS NOT NULL
), superglue_seed AS (
  SELECT d.sweep_id, d.sweep_name, d.method, d.model, d.params, d.init, d.seed, avg(d.best_score) AS score
  FROM done d JOIN sweep_superglue_tasks g ON g.sweep_id = d.sweep_id
  WHERE ptune_is_superglue(d.task)
  GROUP BY d.sweep_id, d.sweep_name, d.method, d.model, d.params, d.init, d.seed, g.k
  HAVING count(DISTINCT d.task) = g.k
)
SELECT sweep_id, sweep_name, task, method, model, params, init,
       avg(best_score) AS mean, stddev_samp(best_score) AS stddev, count(*)::int AS n
FROM done
GROUP BY sweep_id, sweep_name, task, method, model, params, init
UNION ALL
SELECT sweep_id, sweep_name, 'superglue', method, model, params, init,
       avg(score), stddev_samp(score), count(*)::int
FROM superglue_seed
GROUP BY sweep_id, sweep_name, method, model, params, init;
