/**
 * A metric model of the renderer's text layout, so paging can predict where a frame ends without asking Pango.
 * It does what Pango does for `wrap: word-char`, from the same font files:
 * - fonts: each character takes the first font of the family list that has a glyph for it (spaces, controls and
 *   variation selectors keep the current font, as Pango's itemizer does); the families are the bundled fonts and
 *   the user's `--font-file`;
 * - widths: each run is shaped with fontkit (kerning and other GPOS positioning included) and every glyph advance is
 *   rounded to a whole pixel, as Pango rounds glyph positions (measured: exact on 60 of 60 random word runs of the
 *   L-Eval documents, against 49 without kerning and 18 without rounding);
 * - lines: break opportunities come from UAX #14 (the `linebreak` package; Pango implements the same algorithm), a
 *   line ends before the first piece whose ink part would pass the wrap width, trailing spaces hang, a piece wider
 *   than a whole line is broken by grapheme, and a line break in the text is honoured;
 * - heights: a line is as tall as its tallest font (whole-pixel ascent + descent), plus the line spacing; the block
 *   the renderer returns is cropped to the ink, so a page's height is the distance from the first line's baseline to
 *   the last one's plus the ink above and below them (glyph bounding boxes).
 * The model only predicts: paging confirms every frame with one real layout (paginate.ts), so a wrong guess costs
 * time, never a clipped frame.
 */
import * as fs from 'node:fs';
import * as fontkit from 'fontkit';
import LineBreaker from 'linebreak';
import { bundledFonts } from './fonts';
import { openFontFile } from './fontCoverage';
import type { Renderer } from './render';

/** How sure the model is that a text fits the text area. */
export type Verdict = 'fits' | 'overflows' | 'borderline';

interface Face {
  file: string;
  family: string;
  /**
   * The parsed font; fallback faces are parsed when a run first needs them (a Latin text never holds the 17 MB of
   * the CJK fonts). Their coverage comes from fontCoverage.ts, which the run has read anyway.
   */
  font: fontkit.Font | undefined;
  covers: (cp: number) => boolean;
  unitsPerEm: number;
  ascentUnits: number;
  descentUnits: number;
  /**
   * No hinting program (no fpgm/cvt tables, e.g. the bundled Noto and Arimo fonts): its CJK glyphs' ink rasterizes up
   * to 2 px past the glyph boxes and its alphabetic glyphs' up to the box, where DejaVu's hinted glyphs lose a faint
   * row (measured at 14, 20 and 28 px on L-Eval text and the Chinese abstract).
   */
  loose: boolean;
  scale: number;
  /** Whole-pixel ascent and descent (Pango rounds each up). */
  ascent: number;
  descent: number;
}

/** A piece of text between two break opportunities, measured. */
interface Piece {
  /** Width without trailing white space (what must fit on the line). */
  ink: number;
  /** Width with it (where the next piece starts). */
  full: number;
  /** Tallest ascent + descent of the fonts it uses (whole pixels). */
  ascent: number;
  descent: number;
  /** Ink above / below the baseline (pixels, fractional). */
  inkTop: number;
  inkBottom: number;
  /**
   * How far past the glyph boxes its ink may rasterize, as the upper bound of inkHeight: 0 for a hinted face's
   * glyphs, 1 for an unhinted face's alphabetic glyphs, 3 for an unhinted face's CJK glyphs (see Face.loose).
   */
  loose: number;
}

/** One laid-out line: where it starts in the source and its vertical metrics. */
export interface ModelLine {
  start: number;
  ascent: number;
  descent: number;
  inkTop: number;
  inkBottom: number;
  /**
   * How far past the glyph boxes its ink may rasterize, as the upper bound of inkHeight: 0 for a hinted face's
   * glyphs, 1 for an unhinted face's alphabetic glyphs, 3 for an unhinted face's CJK glyphs (see Face.loose).
   */
  loose: number;
}

const WHITE = /\s/u;
/** Characters that keep the current font (Pango does not pick a font to draw a space or an invisible character). */
const KEEPS_FONT = /^[\p{Zs}\p{Cc}\p{Cf}\p{Cs}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}\u2028\u2029]$/u;
/** A pair of characters the font draws as one glyph. */
const LIGATURE = -2;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

function parseFace(file: string, family: string): fontkit.Font | undefined {
  let font: fontkit.Font | fontkit.FontCollection;
  try {
    font = fontkit.create(fs.readFileSync(file));
  } catch {
    return undefined;
  }
  if ('fonts' in font) {
    const fonts = (font as fontkit.FontCollection).fonts;
    font = fonts.find((f) => f.familyName?.toLowerCase() === family.toLowerCase()) ?? fonts[0];
  }
  return font as fontkit.Font;
}

function openFace(file: string, family: string, primary: boolean): Face | undefined {
  const f = parseFace(file, family);
  if (!f) {
    return undefined;
  }
  const tables = Object.keys((f as unknown as { directory: { tables: Record<string, unknown> } }).directory.tables);
  const codePoints = primary ? undefined : openFontFile(file).codePoints;
  return {
    file,
    family,
    font: primary ? f : undefined,
    covers: codePoints ? (cp) => codePoints.has(cp) : (cp) => f.hasGlyphForCodePoint(cp),
    unitsPerEm: f.unitsPerEm,
    ascentUnits: f.ascent,
    descentUnits: f.descent,
    scale: 0,
    ascent: 0,
    descent: 0,
    loose: !tables.includes('fpgm') && !tables.includes('cvt '),
  };
}

/** Counters of the model's work, for tests and the benchmark (paginate.ts adds the layouts). */
export interface ModelCounters {
  pieces: number;
  shaped: number;
}

export class LayoutModel {
  readonly faces: Face[];
  readonly width: number;
  readonly availHeight: number;
  readonly spacing: number;
  private readonly cache = new Map<string, Piece>();
  private readonly hyphen: number;
  private readonly minAscent: number;
  readonly counters: ModelCounters = { pieces: 0, shaped: 0 };

  private constructor(faces: Face[], renderer: Renderer) {
    const o = renderer.options;
    this.faces = faces.map((f) => {
      const scale = o.fontSize / f.unitsPerEm;
      return { ...f, scale, ascent: Math.ceil(f.ascentUnits * scale - 1e-6), descent: Math.ceil(-f.descentUnits * scale - 1e-6) };
    });
    this.width = renderer.availWidth - renderer.inkSlack;
    this.availHeight = renderer.availHeight;
    this.spacing = o.lineSpacing;
    this.hyphen = this.measure('-').ink;
    this.minAscent = Math.min(...this.faces.map((f) => f.ascent));
  }

  private static models = new Map<string, LayoutModel | null>();

  /**
   * The model for a renderer's options, or undefined if its fonts cannot be modelled (a family that is neither
   * bundled nor the user's font file: fontconfig picks it, and we cannot know which file that is). Cached per fonts,
   * size, width and spacing.
   */
  static for(renderer: Renderer): LayoutModel | undefined {
    const o = renderer.options;
    const key = [o.fontFamily, o.fontFile, o.fontSize, o.width, o.height, o.marginX, o.marginY, o.lineSpacing].join('\0');
    let model = LayoutModel.models.get(key);
    if (model === undefined) {
      const files = new Map<string, string>();
      for (const f of bundledFonts()) {
        files.set(f.family.toLowerCase(), f.file);
      }
      if (o.fontFile) {
        for (const family of openFontFile(o.fontFile).families) {
          files.set(family.toLowerCase(), o.fontFile);
        }
      }
      const faces: Face[] = [];
      let known = true;
      for (const family of o.fontFamily
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const file = files.get(family.toLowerCase());
        const face = file ? openFace(file, family, faces.length === 0) : undefined;
        if (!face) {
          known = false;
          break;
        }
        faces.push(face);
      }
      model = known && faces.length ? new LayoutModel(faces, renderer) : null;
      LayoutModel.models.set(key, model);
    }
    return model ?? undefined;
  }

  /** The font a character is drawn with: the first face that has it (the first face draws what none has). */
  private faceOf(cp: number): number {
    for (let i = 0; i < this.faces.length; i++) {
      if (this.faces[i].covers(cp)) {
        return i;
      }
    }
    return 0;
  }

  /** Measure one piece (cached by its text). */
  measure(piece: string): Piece {
    this.counters.pieces++;
    const hit = this.cache.get(piece);
    if (hit) {
      return hit;
    }
    this.counters.shaped++;
    const fast = this.measureAscii(piece);
    if (fast) {
      this.remember(piece, fast);
      return fast;
    }
    const chars = [...piece];
    // Runs of one font.
    const runs: Array<{ face: number; text: string; white: boolean }> = [];
    let current = -1;
    for (const ch of chars) {
      const cp = ch.codePointAt(0)!;
      let face = current;
      if (current < 0 || !KEEPS_FONT.test(ch)) {
        face = this.faceOf(cp);
      }
      const white = WHITE.test(ch);
      const last = runs[runs.length - 1];
      if (last && last.face === face && last.white === white) {
        last.text += ch;
      } else {
        runs.push({ face, text: ch, white });
      }
      current = face;
    }
    let full = 0;
    let ink = 0;
    let ascent = 0;
    let descent = 0;
    let inkTop = 0;
    let inkBottom = 0;
    let loose = 0;
    for (const run of runs) {
      const face = this.faces[run.face];
      ascent = Math.max(ascent, face.ascent);
      descent = Math.max(descent, face.descent);
      if (run.text === '\n') {
        continue;
      }
      face.font ??= parseFace(face.file, face.family)!;
      const shaped = face.font.layout(run.text.replace(/\t/g, '        '));
      for (let g = 0; g < shaped.glyphs.length; g++) {
        full += Math.round(shaped.positions[g].xAdvance * face.scale);
        if (!run.white) {
          const box = shaped.glyphs[g].bbox;
          if (box && Number.isFinite(box.maxY) && box.maxY > box.minY) {
            inkTop = Math.max(inkTop, (box.maxY + shaped.positions[g].yOffset) * face.scale);
            inkBottom = Math.max(inkBottom, -(box.minY + shaped.positions[g].yOffset) * face.scale);
            if (face.loose) {
              loose = Math.max(loose, (shaped.glyphs[g].codePoints[0] ?? 0) >= 0x2e80 ? 3 : 1);
            }
          }
        }
      }
      if (!run.white) {
        ink = full;
      }
    }
    const out: Piece = { ink, full, ascent, descent, inkTop, inkBottom, loose };
    this.remember(piece, out);
    return out;
  }

  private remember(piece: string, measured: Piece): void {
    if (this.cache.size > 30_000) {
      this.cache.clear();
    }
    this.cache.set(piece, measured);
  }

  /** Per printable ASCII character of the first face: its glyph's ink above and below the baseline (NaN: not known yet). */
  private readonly asciiInk = new Float64Array(256).fill(NaN);
  /** Rounded advance of character a followed by b (kerning applied to a, as HarfBuzz does), -1: not known yet. */
  private readonly asciiPair = new Int32Array(128 * 129).fill(-1);

  /**
   * Printable ASCII in the first face (most of an English text), without shaping the piece: each glyph's advance
   * with the kerning to the next character, shaped once per pair and rounded as Pango rounds it. Undefined if the
   * piece has anything else, or the first face lacks a character (then it is shaped whole).
   */
  private measureAscii(piece: string): Piece | undefined {
    const face = this.faces[0];
    const font = face.font!;
    let full = 0;
    let ink = 0;
    let inkTop = 0;
    let inkBottom = 0;
    for (let i = 0; i < piece.length; i++) {
      const a = piece.charCodeAt(i);
      if (a < 32 || a > 126) {
        return undefined;
      }
      const b = i + 1 < piece.length ? piece.charCodeAt(i + 1) : 128;
      if (b !== 128 && (b < 32 || b > 126)) {
        return undefined;
      }
      let adv = this.asciiPair[a * 129 + b];
      if (adv === LIGATURE) {
        return undefined;
      }
      if (adv < 0) {
        if (!font.hasGlyphForCodePoint(a) || (b !== 128 && !font.hasGlyphForCodePoint(b))) {
          return undefined;
        }
        const run = font.layout(b === 128 ? String.fromCharCode(a) : String.fromCharCode(a, b));
        if (run.glyphs.length !== (b === 128 ? 1 : 2)) {
          this.asciiPair[a * 129 + b] = LIGATURE; // shape pieces with this pair whole
          return undefined;
        }
        adv = Math.round(run.positions[0].xAdvance * face.scale);
        this.asciiPair[a * 129 + b] = adv;
        const box = run.glyphs[0].bbox;
        this.asciiInk[2 * a] = box && box.maxY > box.minY ? box.maxY * face.scale : 0;
        this.asciiInk[2 * a + 1] = box && box.maxY > box.minY ? -box.minY * face.scale : 0;
      }
      full += adv;
      if (a !== 32) {
        ink = full;
        inkTop = Math.max(inkTop, this.asciiInk[2 * a]);
        inkBottom = Math.max(inkBottom, this.asciiInk[2 * a + 1]);
      }
    }
    return { ink, full, ascent: face.ascent, descent: face.descent, inkTop, inkBottom, loose: face.loose && ink > 0 ? 1 : 0 };
  }

  /**
   * Lay out text[from, to) as the renderer would (trimmed), line by line, stopping once `stop` says so (called with
   * the lines so far each time a line is complete). Returns the lines and the source offset where the first line
   * not returned starts (`to` if the text ran out).
   */
  lines(text: string, from: number, to: number, stop?: (lines: ModelLine[]) => boolean): { lines: ModelLine[]; next: number } {
    while (from < to && WHITE.test(text[from])) {
      from++;
    }
    while (to > from && WHITE.test(text[to - 1])) {
      to--;
    }
    const lines: ModelLine[] = [];
    if (from >= to) {
      return { lines, next: to };
    }
    const src = text
      .slice(from, to)
      .replace(/\r\n?/g, (m) => (m.length === 2 ? ' \n' : '\n'))
      .replace(CONTROL, ' ');
    const breaker = new LineBreaker(src);
    const W = this.width;
    let line: ModelLine = { start: from, ascent: 0, descent: 0, inkTop: 0, inkBottom: 0, loose: 0 };
    let x = 0;
    let empty = true;
    let last = 0;
    const add = (p: Piece): void => {
      line.ascent = Math.max(line.ascent, p.ascent);
      line.descent = Math.max(line.descent, p.descent);
      line.inkTop = Math.max(line.inkTop, p.inkTop);
      line.inkBottom = Math.max(line.inkBottom, p.inkBottom);
      line.loose = Math.max(line.loose, p.loose);
    };
    /** Close the line; true if the caller asked to stop. */
    const close = (nextStart: number): boolean => {
      if (line.ascent === 0) {
        line.ascent = this.faces[0].ascent;
        line.descent = this.faces[0].descent;
      }
      lines.push(line);
      line = { start: from + nextStart, ascent: 0, descent: 0, inkTop: 0, inkBottom: 0, loose: 0 };
      x = 0;
      empty = true;
      return stop ? stop(lines) : false;
    };
    for (let b = breaker.nextBreak(); b; b = breaker.nextBreak()) {
      const pieceText = src.slice(last, b.position);
      const pieceStart = last;
      last = b.position;
      const hard = pieceText.endsWith('\n');
      const p = this.measure(hard ? pieceText.slice(0, -1) : pieceText);
      // White space before a line break in the text does not hang: it must fit too (measured).
      const need = hard ? p.full : p.ink;
      if (!empty && x + need > W) {
        if (close(pieceStart)) {
          return { lines, next: from + pieceStart };
        }
      }
      if (empty && need > W) {
        // Wider than a line on its own: broken by grapheme (a hyphen is added where a word is cut).
        const seg = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
        let at = pieceStart;
        for (const g of seg.segment(hard ? pieceText.slice(0, -1) : pieceText)) {
          const gp = this.measure(g.segment);
          const need = WHITE.test(g.segment) ? 0 : gp.ink;
          if (!empty && x + need + (/\p{L}/u.test(g.segment) ? this.hyphen : 0) > W) {
            if (close(at)) {
              return { lines, next: from + at };
            }
          }
          add(gp);
          x += gp.full;
          empty = false;
          at = pieceStart + g.index + g.segment.length;
        }
      } else {
        add(p);
        x += p.full;
        empty = false;
      }
      if (hard) {
        if (close(b.position)) {
          return { lines, next: from + b.position };
        }
      }
    }
    if (!empty || lines.length === 0) {
      if (close(src.length)) {
        return { lines, next: to };
      }
    }
    return { lines, next: to };
  }

  /**
   * Predicted height of the ink block of these lines (what Renderer.layout's block height will be), as a range:
   * baseline to baseline, plus the ink above the first line and below the last, each rounded up to whole pixels
   * ("base"). Measured on single lines of L-Eval text and the Chinese abstract at 14, 20 and 28 px: DejaVu's hinted
   * glyphs give base - 2 to base (base - 1 or base at the page level), the unhinted Arimo's Latin glyphs base - 2 to
   * base, the unhinted Noto CJK glyphs base - 2 to base + 2 (so the upper bound is base - 1 + the lines' `loose`).
   */
  inkHeight(lines: readonly ModelLine[]): { lo: number; hi: number } {
    if (!lines.length) {
      return { lo: 0, hi: 0 };
    }
    let baselines = 0;
    for (let i = 1; i < lines.length; i++) {
      baselines += lines[i - 1].descent + this.spacing + lines[i].ascent;
    }
    const first = lines[0];
    const last = lines[lines.length - 1];
    const base = baselines + Math.ceil(first.inkTop) + Math.ceil(last.inkBottom);
    return { lo: base - 2, hi: base - 1 + Math.max(first.loose, last.loose) };
  }

  /** Whether lines of this predicted ink height fit the text area: surely, surely not, or too close to call. */
  verdict(lines: readonly ModelLine[]): Verdict {
    const { lo, hi } = this.inkHeight(lines);
    if (hi <= this.availHeight) {
      return 'fits';
    }
    return lo > this.availHeight ? 'overflows' : 'borderline';
  }

  /**
   * True if any text that reaches the last of these lines overflows, whatever of that line it holds: the height
   * counted with the shortest ascent of the fonts and no ink below the last baseline.
   */
  overflowsWithAnyLastLine(lines: readonly ModelLine[]): boolean {
    if (lines.length < 2) {
      return false;
    }
    const last = lines[lines.length - 1];
    return this.inkHeight([...lines.slice(0, -1), { ...last, ascent: this.minAscent, inkBottom: 0, loose: 0 }]).lo > this.availHeight;
  }

  /** Verdict on text[from, to) (trimmed), laid out whole. */
  judge(text: string, from: number, to: number): Verdict {
    let over = false;
    const { lines } = this.lines(text, from, to, (ls) => (over = this.verdict(ls) === 'overflows'));
    return over ? 'overflows' : this.verdict(lines);
  }
}
