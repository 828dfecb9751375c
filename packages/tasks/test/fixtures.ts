// Paths of the official-format fixture files in test/fixtures.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
export const fixture = (...parts: string[]) => path.join(fixturesDir, ...parts);
