import type { Command } from "../command.ts";

// Every command, in the order `ptune --help` lists them. Add new ones here.
export const commands: Command[] = [];
