import { describe, expect, it } from "vitest";
import { copyField } from "./copy-rows.ts";

describe("copyField (COPY text format)", () => {
  it("escapes backslash, newline, carriage return and tab; NULL is \\N", () => {
    expect(copyField("a\tb\nc\rd\\e")).toBe("a\\tb\\nc\\rd\\\\e");
    expect(copyField("\\.")).toBe("\\\\."); // never the end-of-data marker
    expect(copyField("\\N")).toBe("\\\\N"); // the string, not NULL
    expect(copyField(null)).toBe("\\N");
    expect(copyField(undefined)).toBe("\\N");
  });

  it("writes numbers as text and objects as JSON (escaped like any text)", () => {
    expect(copyField(42)).toBe("42");
    expect(copyField(1.5e10)).toBe("15000000000");
    expect(copyField({ s: 'q"\n' })).toBe('{"s":"q\\\\"\\\\n"}');
    expect(copyField("plain ünï")).toBe("plain ünï");
  });
});
