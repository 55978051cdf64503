/**
 * Writes a JSON record back in the style of the line it came from, so that editing one question changes only the
 * bytes of that question: Python's `json.dumps` default (`", "` and `": "`, non-ASCII escaped as \uXXXX) or compact
 * (JSON.stringify). Key order is kept (JSON.parse keeps it).
 */

export interface JsonStyle {
  /** `", "` and `": "` between items (Python's json.dumps default) instead of `,` and `:`. */
  spaced: boolean;
  /** Escape every character above U+007F as \uXXXX (Python's ensure_ascii=True). */
  ascii: boolean;
}

/**
 * The style of one JSONL line: spaced if its first structural `:` or `,` (outside strings) is followed by a space;
 * ASCII-escaped if the line has no character above U+007F (a writer that escapes, or text that needs none: either
 * way escaping keeps the file as it was written).
 */
export function detectStyle(line: string): JsonStyle {
  let spaced = false;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === '\\') {
        i++;
      } else if (c === '"') {
        inString = false;
      }
    } else if (c === '"') {
      inString = true;
    } else if (c === ':' || c === ',') {
      spaced = line[i + 1] === ' ';
      break;
    }
  }

  const ascii = !/[^\u0000-\u007f]/.test(line);
  return { spaced, ascii };
}

const NON_ASCII = /[\u0080-\uffff]/g;

function stringLiteral(value: string, ascii: boolean): string {
  const json = JSON.stringify(value);
  return ascii ? json.replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

/** Serializes `value` on one line in `style`. Values JSON cannot hold (undefined, functions) are left out like JSON.stringify does. */
export function stringifyLike(value: unknown, style: JsonStyle): string {
  const comma = style.spaced ? ', ' : ',';
  const colon = style.spaced ? ': ' : ':';
  const write = (v: unknown): string | undefined => {
    if (v === null) {
      return 'null';
    }
    switch (typeof v) {
      case 'string':
        return stringLiteral(v, style.ascii);
      case 'number':
      case 'boolean':
        return JSON.stringify(v);
      case 'object': {
        if (Array.isArray(v)) {
          return `[${v.map((item) => write(item) ?? 'null').join(comma)}]`;
        }
        const parts: string[] = [];
        for (const [key, item] of Object.entries(v as Record<string, unknown>)) {
          const text = write(item);
          if (text !== undefined) {
            parts.push(`${stringLiteral(key, style.ascii)}${colon}${text}`);
          }
        }
        return `{${parts.join(comma)}}`;
      }
      default:
        return undefined;
    }
  };
  return write(value) ?? 'null';
}
