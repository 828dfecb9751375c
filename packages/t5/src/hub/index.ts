export { HubError, isHubRef, parseHubRef, repoFolderName, hubId, type HubRef } from "./ref.ts";
export { hubEnv, type HubEnv } from "./env.ts";
export { cachedSnapshot } from "./cache.ts";
export { type OnProgress, type Progress } from "./download.ts";
export { pullModel, resolveModelRef, resolveDatasetRef, cachedRefDir, isCompleteModelDir, type ResolveOptions } from "./resolve.ts";
export { progressBar } from "./progress.ts";
