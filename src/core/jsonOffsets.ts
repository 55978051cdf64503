/** Frame ↔ source on a dataset line: where each character of a record's context sits in the raw JSON line. */

/**
 * Offsets of each decoded character of the JSON string literal that starts at `start` (its opening quote) in `raw`:
 * map[i] is the raw offset of decoded UTF-16 unit i; map[length] is the closing quote's offset.
 */
export function jsonStringOffsets(raw: string, start: number): number[] | undefined {
  if (raw[start] !== '"') {
    return undefined;
  }
  const map: number[] = [];
  let i = start + 1;
  while (i < raw.length) {
    const c = raw[i];
    if (c === '"') {
      map.push(i);
      return map;
    }
    map.push(i);
    i += c === '\\' ? (raw[i + 1] === 'u' ? 6 : 2) : 1;
  }
  return undefined;
}

/** Offsets (as jsonStringOffsets) of the top-level field of `record` whose value is `context`, in its raw line. */
export function contextOffsets(raw: string, record: unknown, context: string): number[] | undefined {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return undefined;
  }
  for (const [key, field] of Object.entries(record as Record<string, unknown>)) {
    if (field !== context) {
      continue;
    }
    const literal = JSON.stringify(key);
    for (let at = raw.indexOf(literal); at >= 0; at = raw.indexOf(literal, at + 1)) {
      let j = at + literal.length;
      while (/\s/.test(raw[j] ?? '')) {
        j++;
      }
      if (raw[j] !== ':') {
        continue;
      }
      j++;
      while (/\s/.test(raw[j] ?? '')) {
        j++;
      }
      const offsets = jsonStringOffsets(raw, j);
      if (offsets && offsets.length === context.length + 1) {
        return offsets;
      }
    }
  }
  return undefined;
}

/** The index into the context of a column in the raw line, or -1 if the column is outside the context. */
export function contextIndexAt(offsets: number[], column: number): number {
  if (column < offsets[0] || column > offsets[offsets.length - 1]) {
    return -1;
  }
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= column) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}
