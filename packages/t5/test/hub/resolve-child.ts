// Child process for the cross-process lock test: resolves one hf: reference with the environment
// it was given and prints the directory.
import { resolveModelRef } from "../../src/hub/resolve.ts";

const dir = await resolveModelRef(process.argv[2]!, { log: (l) => process.stderr.write(`${l}\n`) });
process.stdout.write(dir);
