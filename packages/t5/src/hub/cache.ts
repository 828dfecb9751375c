// The Hugging Face cache layout (huggingface_hub/file_download.py, "new cache file layout"):
//   <cache>/<models|datasets>--<org>--<name>/
//     refs/<revision>              the commit a branch/tag pointed to when last fetched
//     blobs/<etag>                 file contents, named by their ETag (sha256 for LFS, git sha1 else)
//     snapshots/<commit>/<file>    symlinks into ../../blobs/<etag>
// Reading never changes anything; writing only adds blobs, snapshot links and refs, as the Python
// library does, so both share one cache.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { HubError, repoFolderName, type HubRef } from "./ref.ts";

export const isCommit = (rev: string) => /^[0-9a-f]{40}$/.test(rev);

export const repoCacheDir = (cacheDir: string, ref: Pick<HubRef, "kind" | "repoId">) => path.join(cacheDir, repoFolderName(ref));

/** The cached snapshot a revision names, or undefined when this revision was never fetched. */
export function cachedSnapshot(cacheDir: string, ref: HubRef): { commit: string; dir: string } | undefined {
  const repo = repoCacheDir(cacheDir, ref);
  let commit = ref.revision;
  if (!isCommit(commit)) {
    const refFile = path.join(repo, "refs", ref.revision);
    if (!existsSync(refFile)) return undefined;
    commit = readFileSync(refFile, "utf8").trim();
    if (!isCommit(commit)) throw new HubError(`${refFile}: expected a 40-character commit hash, found '${commit.slice(0, 60)}' (damaged cache)`);
  }
  const dir = path.join(repo, "snapshots", commit);
  return existsSync(dir) ? { commit, dir } : undefined;
}

/** Records that `revision` points at `commit` (atomic replace, as huggingface_hub's _cache_commit_hash_for_specific_revision). */
export function writeRef(repo: string, revision: string, commit: string): void {
  if (isCommit(revision) && revision === commit) return;
  const refFile = path.join(repo, "refs", revision);
  if (existsSync(refFile) && readFileSync(refFile, "utf8").trim() === commit) return;
  mkdirSync(path.dirname(refFile), { recursive: true });
  const tmp = `${refFile}.${process.pid}.tmp`;
  writeFileSync(tmp, commit);
  renameSync(tmp, refFile);
}

/** snapshots/<commit>/<file> -> relative link to blobs/<etag> (replaces a dangling link). */
export function linkSnapshotFile(repo: string, commit: string, file: string, etag: string): string {
  const link = path.join(repo, "snapshots", commit, file);
  const blob = path.join(repo, "blobs", etag);
  mkdirSync(path.dirname(link), { recursive: true });
  if (existsSync(link)) return link;
  rmSync(link, { force: true }); // a dangling link from an interrupted run
  const tmp = `${link}.${process.pid}.tmp`;
  symlinkSync(path.relative(path.dirname(link), blob), tmp);
  renameSync(tmp, link);
  return link;
}
