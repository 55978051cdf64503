/**
 * Fonts as data: a user's font file is opened and validated (fontkit, a maintained font engine, parses the
 * TrueType/OpenType/TTC/WOFF/WOFF2 tables) before any work starts, and the glyph coverage of the whole font stack
 * (the bundled fonts plus `--font-file`) says which characters of a text would be drawn as boxes (tofu).
 * What no font covers stays a box in the frame (the layout keeps its place, so frame ranges stay true) and is
 * reported per sample with its Unicode script and count; the run goes on.
 */
import * as fs from 'node:fs';
import * as fontkit from 'fontkit';
import { bundledFonts } from './fonts';
import { OptionError } from './options';

/** Largest font file accepted: the biggest CJK collections are ~30 MB; this keeps /dev/zero-like input out. */
export const FONT_FILE_MAX_BYTES = 64 * 1024 * 1024;

export interface FontInfo {
  file: string;
  /** Family names of the faces in the file (one for a TTF/OTF, several for a collection). */
  families: string[];
  /** Code points with a glyph in any face of the file. */
  codePoints: Set<number>;
}

const SIGNATURES: Array<[string, string]> = [
  ['00010000', 'TrueType'],
  ['74727565', 'TrueType'], // 'true' (old Apple)
  ['4f54544f', 'OpenType'], // 'OTTO'
  ['74746366', 'TrueType/OpenType collection'], // 'ttcf'
  ['774f4646', 'WOFF'], // 'wOFF'
  ['774f4632', 'WOFF2'], // 'wOF2'
];

const opened = new Map<string, { stamp: string; info: FontInfo }>();

/**
 * Open and validate a font file; throws OptionError naming `flag` (the CLI flag or setting the user typed) and the
 * file. Only regular files up to FONT_FILE_MAX_BYTES are read (a device, pipe or folder is refused unread).
 * Results are cached by path, size and mtime.
 */
export function openFontFile(file: string, flag = '--font-file'): FontInfo {
  const fail = (why: string): never => {
    throw new OptionError(`${flag} ${file}: ${why}`);
  };
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot be read (${code ?? (e as Error).message})`,
    );
  }
  if (st.isDirectory()) {
    fail('is a folder, not a font file');
  }
  if (!st.isFile()) {
    fail('is not a regular file (a device, pipe or socket), not a font file');
  }
  if (st.size > FONT_FILE_MAX_BYTES) {
    fail(`is ${(st.size / 1048576).toFixed(0)} MB; font files larger than ${FONT_FILE_MAX_BYTES / 1048576} MB are refused`);
  }
  if (st.size < 12) {
    fail(`is ${st.size} bytes: too small to be a font file`);
  }
  const stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
  const hit = opened.get(file);
  if (hit && hit.stamp === stamp) {
    return hit.info;
  }
  // Read at most the size seen (+1 to notice growth), never more than the cap.
  const buffer = Buffer.alloc(Math.min(st.size, FONT_FILE_MAX_BYTES));
  let length = 0;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    while (length < buffer.length) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, length);
      if (n === 0) {
        break;
      }
      length += n;
    }
  } catch (e) {
    fail(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    if (fd !== undefined) {
      fs.closeSync(fd);
    }
  }
  const data = buffer.subarray(0, length);
  const magic = data.subarray(0, 4).toString('hex');
  const kind = SIGNATURES.find(([sig]) => sig === magic)?.[1];
  if (!kind) {
    fail(
      `is not a font file (TrueType, OpenType, TTC, WOFF or WOFF2): it starts with bytes ${data.subarray(0, 8).toString('hex').replace(/(..)/g, '$1 ').trim()}`,
    );
  }
  let parsed: fontkit.Font | fontkit.FontCollection;
  try {
    parsed = fontkit.create(data);
  } catch (e) {
    return fail(`looks like ${kind} but cannot be read as a font: ${(e as Error).message}`);
  }
  const faces = 'fonts' in parsed && Array.isArray(parsed.fonts) ? parsed.fonts : [parsed as fontkit.Font];
  const codePoints = new Set<number>();
  const families: string[] = [];
  try {
    for (const face of faces) {
      families.push(face.familyName);
      for (const cp of face.characterSet) {
        codePoints.add(cp);
      }
    }
  } catch (e) {
    fail(`is a damaged ${kind} font: ${(e as Error).message}`);
  }
  if (!codePoints.size) {
    fail(`is a ${kind} font with no character map (no characters it can draw)`);
  }
  const info: FontInfo = { file, families: [...new Set(families.filter(Boolean))], codePoints };
  opened.set(file, { stamp, info });
  return info;
}

/**
 * Unicode scripts tested, most common first (`\p{Script=…}` names). A character of none of them is `Common` (or
 * `Common (emoji)` for pictographs), `Inherited` or `Unknown`.
 */
const SCRIPTS = [
  'Latin',
  'Han',
  'Hangul',
  'Hiragana',
  'Katakana',
  'Cyrillic',
  'Greek',
  'Arabic',
  'Hebrew',
  'Devanagari',
  'Bengali',
  'Thai',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Gujarati',
  'Gurmukhi',
  'Oriya',
  'Sinhala',
  'Khmer',
  'Lao',
  'Myanmar',
  'Tibetan',
  'Georgian',
  'Armenian',
  'Ethiopic',
  'Mongolian',
  'Syriac',
  'Thaana',
  'Bopomofo',
  'Yi',
  'Cherokee',
  'Canadian_Aboriginal',
  'Tifinagh',
  'Javanese',
  'Balinese',
  'Runic',
  'Ogham',
  'Braille',
  'Inherited',
].map((name) => ({ name, re: new RegExp(`^\\p{Script=${name}}$`, 'u') }));
const PICTOGRAPH = /^\p{Extended_Pictographic}$/u;
const COMMON = /^\p{Script=Common}$/u;

/** The Unicode script of one character (a string of one code point). */
export function scriptOf(char: string): string {
  for (const { name, re } of SCRIPTS) {
    if (re.test(char)) {
      return name;
    }
  }
  if (PICTOGRAPH.test(char)) {
    return 'Common (emoji)';
  }
  return COMMON.test(char) ? 'Common' : 'Unknown';
}

/** Characters that draw nothing of their own: whitespace, controls, format characters (ZWJ…), variation selectors. */
const INVISIBLE = /^[\s\p{Cc}\p{Cf}\p{Cs}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]$/u;

export interface Uncovered {
  /** Characters (occurrences) no font of the stack has a glyph for. */
  count: number;
  /** Occurrences per Unicode script, largest first. */
  byScript: Array<{ script: string; count: number }>;
  /** Up to 5 distinct examples. */
  examples: string[];
}

/** The union of the glyph coverage of a font stack. */
export class FontStack {
  private readonly covered = new Uint8Array(0x110000 >> 3);
  /** Code points found uncovered, remembered with their script (texts repeat them). */
  private readonly scripts = new Map<number, string | null>();

  constructor(readonly fonts: FontInfo[]) {
    for (const font of fonts) {
      for (const cp of font.codePoints) {
        if (cp >= 0 && cp < 0x110000) {
          this.covered[cp >> 3] |= 1 << (cp & 7);
        }
      }
    }
  }

  has(cp: number): boolean {
    return (this.covered[cp >> 3] & (1 << (cp & 7))) !== 0;
  }

  /** What of `text` no font covers; undefined if everything is covered. */
  uncovered(text: string): Uncovered | undefined {
    let count = 0;
    const byScript = new Map<string, number>();
    const examples = new Set<string>();
    for (let i = 0; i < text.length; i++) {
      let cp = text.charCodeAt(i);
      if (cp < 0x7f && (cp >= 0x20 || cp === 9 || cp === 10 || cp === 13) && this.has(cp)) {
        continue; // the common case, fast
      }
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
        const lo = text.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          i++;
        }
      }
      if (this.has(cp)) {
        continue;
      }
      let script = this.scripts.get(cp);
      if (script === undefined) {
        const char = String.fromCodePoint(cp);
        script = INVISIBLE.test(char) ? null : scriptOf(char);
        this.scripts.set(cp, script);
      }
      if (script === null) {
        continue;
      }
      count++;
      byScript.set(script, (byScript.get(script) ?? 0) + 1);
      if (examples.size < 5) {
        examples.add(String.fromCodePoint(cp));
      }
    }
    if (!count) {
      return undefined;
    }
    return {
      count,
      byScript: [...byScript]
        .map(([s, n]) => ({ script: s, count: n }))
        .sort((a, b) => b.count - a.count || a.script.localeCompare(b.script)),
      examples: [...examples],
    };
  }
}

const stacks = new Map<string, FontStack>();

/** The font stack frames are drawn with: the bundled fonts plus the user's font file (validated; OptionError if bad). */
export function fontStack(fontFile?: string, flag = '--font-file'): FontStack {
  const key = fontFile ?? '';
  let stack = stacks.get(key);
  if (!stack) {
    const fonts = bundledFonts().map((f) => openFontFile(f.file, `bundled font ${f.family}`));
    if (fontFile) {
      fonts.push(openFontFile(fontFile, flag));
    }
    stack = new FontStack(fonts);
    stacks.set(key, stack);
  }
  return stack;
}

/** One line for a warning: "12 characters no font covers (Hangul 10, Common (emoji) 2), e.g. 한 😀". */
export function describeUncovered(u: Uncovered): string {
  const scripts = u.byScript.map((s) => `${s.script} ${s.count}`).join(', ');
  const examples = u.examples.map((c) => JSON.stringify(c).slice(1, -1)).join(' ');
  return `${u.count} character${u.count === 1 ? '' : 's'} no font covers (${scripts}), e.g. ${examples}: drawn as boxes (tofu); add a font that covers them with --font-file and name its family in --font`;
}
