// A sweep YAML that expands to exactly 10,000 trials (5 models x 5 tasks x 5 prompt lengths x
// 2 inits x 40 seeds), for the orchestrator benchmark. Paths need not exist: nothing trains.
export function benchSweepYaml(name: string): string {
  const models = ["small", "base", "large", "xl", "xxl"];
  const tasks = ["boolq", "cb", "copa", "rte", "wic"];
  return [
    `name: ${name}`,
    "models:",
    ...models.map((m, i) => `  t5-${m}: { checkpoint: /models/t5-${m}, gpu_memory_gb: ${2 ** i}, params: ${60_000_000 * 4 ** i} }`),
    "tasks:",
    ...tasks.map((t) => `  ${t}: { data_dir: /data/${t} }`),
    "grid:",
    `  model: [${models.map((m) => `t5-${m}`).join(", ")}]`,
    `  task: [${tasks.join(", ")}]`,
    "  prompt_length: [1, 5, 20, 100, 150]",
    "  init: [random_uniform, class_label]",
    `  seed: [${Array.from({ length: 40 }, (_, i) => i).join(", ")}]`,
    "",
  ].join("\n");
}
