/**
 * Secrets never leave the process in what the tool prints or writes: `redact` replaces every API key registered
 * with `addSecret` (also in its JSON-escaped and URL-encoded forms) and any `Bearer …` / `Authorization: …`
 * credential with `[redacted]`. Applied where LLM errors become messages and where a run's summary is written, so an
 * endpoint that echoes the Authorization header in its error body cannot leak the key to stderr or `--json`.
 */

const secrets = new Set<string>();

/** Shorter strings are not treated as secrets (they would redact ordinary words). */
const MIN_SECRET_LENGTH = 6;

/** Remember a secret (an API key) for the life of the process. */
export function addSecret(secret: string | undefined): void {
  const s = secret?.trim();
  if (!s || s.length < MIN_SECRET_LENGTH) {
    return;
  }
  secrets.add(s);
  secrets.add(JSON.stringify(s).slice(1, -1));
  secrets.add(encodeURIComponent(s));
}

const REPLACEMENT = '[redacted]';

/** `text` with every registered secret and every bearer / basic credential replaced by `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (out.includes(s)) {
      out = out.split(s).join(REPLACEMENT);
    }
  }
  return out
    .replace(/\b(Bearer|Basic)(\s+|%20|\\u0020)(?!\[redacted\])[A-Za-z0-9._~+/=:-]+/gi, `$1$2${REPLACEMENT}`)
    .replace(/\b(x-api-key|api-key|api_key|apikey)(["']?\s*[:=]\s*["']?)(?!\[redacted\])[A-Za-z0-9._~+/=-]{6,}/gi, `$1$2${REPLACEMENT}`);
}
