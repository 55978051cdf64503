/**
 * Runtime checks for messages between the extension host and its webviews (both sides validate on receipt).
 * No node or vscode imports: the webview bundles import this too.
 */

export type Check = (v: unknown) => boolean;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isInt =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
export const isString =
  (max = 1 << 20): Check =>
  (v) =>
    typeof v === 'string' && v.length <= max;
export const isNullable =
  (check: Check): Check =>
  (v) =>
    v === null || check(v);
export const isOneOf =
  (values: readonly unknown[]): Check =>
  (v) =>
    values.includes(v);
export const isArrayOf =
  (check: Check, max = 1_000_000): Check =>
  (v) =>
    Array.isArray(v) && v.length <= max && v.every(check);
export const isBool: Check = (v) => typeof v === 'boolean';
export const isFiniteNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);

/** Every key of `fields` present with a valid value, keys of `optional` valid if present, and no other key. */
export function shape(fields: Record<string, Check>, optional: Record<string, Check> = {}): Check {
  const required = Object.keys(fields);
  const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
  return (v) => {
    if (!isObject(v)) {
      return false;
    }
    return required.every((k) => own(v, k)) && Object.keys(v).every((k) => (own(fields, k) ? fields[k](v[k]) : own(optional, k) && optional[k](v[k])));
  };
}

/** Parses a message against a table of checks by its `type`; undefined if unknown or invalid. */
export function parseMessage<T extends { type: string }>(table: Record<string, Check>, message: unknown): T | undefined {
  if (!isObject(message) || typeof message.type !== 'string' || !Object.prototype.hasOwnProperty.call(table, message.type)) {
    return undefined;
  }
  return table[message.type](message) ? (message as T) : undefined;
}
