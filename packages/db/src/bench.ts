// @ptune/db/bench: measurement code, kept out of the package barrel (importing the barrel should
// cost tests nothing they do not use).
export { measureWriteRate, type WriteRateResult } from "./write-rate.ts";
