import { describe, expect, it } from "vitest";
import { redactUrl } from "./redact.ts";

describe("redactUrl", () => {
  it("hides the password of well-formed and malformed URLs, keeps the rest", () => {
    expect(redactUrl("postgresql://u:secret@h:5432/db")).toBe("postgresql://u:***@h:5432/db");
    expect(redactUrl("redis://:pw@127.0.0.1:6379/0")).toBe("redis://:***@127.0.0.1:6379/0");
    // malformed (the WHATWG parser rejects these; issue 10: `ptune db migrate` printed them)
    expect(redactUrl("got 'postgres//u:secret@h/db'")).toBe("got 'postgres//u:***@h/db'");
    expect(redactUrl("cannot reach postgresql://a:b%zz@h/db: ECONNREFUSED")).toBe("cannot reach postgresql://a:***@h/db: ECONNREFUSED");
    expect(redactUrl("x postgresql://u:p@ss w0rd@h/db y")).toBe("x postgresql://u:***@h/db y");
    expect(redactUrl("u:sec@host:5432")).toBe("u:***@host:5432");
    expect(redactUrl("http://h/x?password=abc&x=1")).toBe("http://h/x?password=***&x=1");
  });
  it("leaves text without credentials alone", () => {
    for (const s of ["postgresql://postgres@127.0.0.1/db", "redis://127.0.0.1:6379", "a:b c", "at 12:30:01 user@example.org", "postgresql://u:***@h/db"]) expect(redactUrl(s)).toBe(s);
    for (const s of ["postgresql://u:topsecret@h/db", "postgres//u:topsecret@h/db", "u:topsecret@h"]) expect(redactUrl(`e: ${s}`)).not.toContain("topsecret");
  });
});
