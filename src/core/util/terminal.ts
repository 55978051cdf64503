/**
 * Terminal safety: text from input files (a malformed line echoed in a parse error, a file name, a key) must never
 * reach a terminal as control sequences. `escapeControl` makes every character that a terminal (or a bidi-aware
 * viewer) would act on visible instead: C0 controls (but for none: tab and newline included, since a message is one
 * line), DEL, C1 controls, the bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), and the line
 * and paragraph separators U+2028/U+2029. Applied once where issues and errors are formatted (model.ts formatIssue,
 * the CLI's error and summary output).
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

function escapeOne(c: string): string {
  const named = NAMED[c];
  if (named) {
    return named;
  }
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control, C1 and bidi-override character written as a visible escape (`\e`, `\x07`, `\u202e`). */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/** Like escapeControl, but keeps line breaks (for multi-line reports the tool composes itself). */
export function escapeControlKeepLines(text: string): string {
  return text
    .split('\n')
    .map((line) => escapeControl(line))
    .join('\n');
}

const UNSAFE_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/**
 * A JSON text (JSON.stringify's output: C0 controls already escaped) with DEL, C1 and bidi controls written as `\uXXXX`
 * escapes too: the same JSON value, safe to print.
 */
export function escapeJsonControl(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
