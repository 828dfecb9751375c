// The one function that keeps secrets out of messages and logs (issue 10: `ptune db migrate`
// printed the password of a malformed DATABASE_URL). Works on any text, and on URLs the WHATWG
// parser rejects: every whitespace/quote-delimited token with credentials before its last '@'
// (`scheme://user:secret@host`, or `user:secret@host` without a scheme) keeps the user and loses
// the password (`user:***@host`); `password=`/`token=` query parameters lose their values.

const TOKEN = /[^\s'"`<>()[\]{},]+/g;
/**
 * A URL with a password, greedy to the LAST '@' on the line: a malformed password may hold
 * spaces or '@' (`postgresql://u:p@ss w0rd@host/db`); eating too much of a line beats leaking.
 */
const URL_WITH_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/'"]*:)[^\n]*@/gi;

function redactToken(tok: string): string {
  let out = tok;
  const at = out.lastIndexOf("@");
  if (at > 0) {
    // the userinfo starts after the last '/' before the '@' (a scheme, or a malformed "postgres//")
    const start = out.lastIndexOf("/", at) + 1;
    const userinfo = out.slice(start, at);
    const colon = userinfo.indexOf(":");
    if (colon >= 0 && userinfo.slice(colon + 1) !== "***") out = `${out.slice(0, start)}${userinfo.slice(0, colon)}:***${out.slice(at)}`;
  }
  return out.replace(/([?&;](?:password|passwd|pwd|token|secret|access_token)=)[^&\s]*/gi, "$1***");
}

/** `text` with the password of every URL in it replaced by `***`. */
export function redactUrl(text: string): string {
  return String(text).replace(URL_WITH_PASSWORD, "$1***@").replace(TOKEN, redactToken);
}
