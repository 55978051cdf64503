/**
 * The building blocks of the webview protocols (`frames.ts`, `curation.ts`): each message is one valibot schema,
 * and both its TypeScript type (`v.InferOutput`) and its runtime check come from that schema, so a field cannot be
 * added to one and forgotten in the other. Browser-safe: the webview bundles import this (esbuild tree-shakes
 * valibot down to the functions used).
 */
import * as v from 'valibot';

/** An integer in [min, max]. */
export const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

/** A finite number (no NaN, no ±Infinity). */
export const finite = () => v.pipe(v.number(), v.finite());

/** A string of at most `max` UTF-16 units. */
export const text = (max: number) => v.pipe(v.string(), v.maxLength(max));

/**
 * An array of at most `maxLength` integers in [min, max]. One check over the whole array instead of a schema per
 * element: a curation view lists up to every line of a 100,000-row file, and this keeps its check at about a
 * millisecond.
 */
export const intArray = (min: number, max: number, maxLength: number) =>
  v.custom<number[]>(
    (x) =>
      Array.isArray(x) && x.length <= maxLength && x.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max),
    `expected at most ${maxLength} integers in [${min}, ${max}]`,
  );

/**
 * One message: a strict object (no key beyond `entries`) whose `type` is the literal `type`. Optional fields use
 * `v.exactOptional` (absent, never `undefined`), so what the receiver gets is exactly what the type says.
 */
export const message = <const T extends string, const E extends v.ObjectEntries>(type: T, entries: E) =>
  v.strictObject({ type: v.literal(type), ...entries });

/** A parser for one direction of a protocol: the message, or undefined if it is unknown or malformed. Never throws. */
export function parser<S extends v.GenericSchema>(schema: S): (raw: unknown) => v.InferOutput<S> | undefined {
  return (raw) => {
    try {
      const result = v.safeParse(schema, raw);
      return result.success ? result.output : undefined;
    } catch {
      return undefined; // a hostile object (a throwing getter or proxy) is malformed like any other
    }
  };
}

/** Where a valibot issue is, as a JSON path: `$.slurm.extraSbatch[1]`. */
export function issuePath(issue: v.BaseIssue<unknown>): string {
  let out = '$';
  for (const item of issue.path ?? []) {
    out += typeof item.key === 'number' ? `[${item.key}]` : `.${String(item.key)}`;
  }
  return out;
}
