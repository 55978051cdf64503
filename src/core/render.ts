/**
 * Rendering with sharp (libvips + Pango): text is laid out once into a one-band coverage block; the block is then
 * placed into the frame's PNG scanlines directly (no second sharp pipeline, no compositing, no re-encode) and
 * deflated in libuv's thread pool. The same block answers "does this text fit?", so paging never renders twice.
 */
import * as fs from 'node:fs';
import sharp from 'sharp';
import { bundledFonts } from './fonts';
import { openFontFile } from './fontCoverage';
import { OptionError, parseColour, type RenderOptions } from './options';
import { bytesPerRow, encodePng, type PixelFormat } from './png';

/** Laid-out text: coverage 0 (background) to 255 (ink), one byte per pixel, cropped to the ink. */
export interface Block {
  width: number;
  height: number;
  data: Buffer;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const registered = new Set<string>();

// libvips caches recent operations (up to 50 MB of pixels by default); a text layout is never asked for twice with
// the same arguments here (the preview keeps its own cache of layouts), so the cache only costs memory.
sharp.cache(false);

/** Make fonts known to libvips' fontconfig (it keeps them for the life of the process). */
async function registerFont(file: string, family: string): Promise<void> {
  if (registered.has(file)) {
    return;
  }
  if (!fs.existsSync(file)) {
    throw new OptionError(`font file not found: ${file}`);
  }
  await sharp({ text: { text: 'x', fontfile: file, font: `${family} 12`, dpi: 72 } })
    .raw()
    .toBuffer();
  registered.add(file);
}

/** Pango markup of plain text: escape the markup characters; drop what Pango cannot draw (control characters, lone surrogates). */
export function toMarkup(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export class Renderer {
  readonly availWidth: number;
  readonly availHeight: number;
  /**
   * Glyph ink may overhang its advance by a pixel or two (measured: a 408-px layout yielding 409 px of ink), so
   * lines are wrapped this much narrower than the text area; the block then fits without clipping or a needless split.
   */
  readonly inkSlack: number;
  readonly format: PixelFormat;
  private readonly blank: Buffer;
  private readonly lut: Uint8Array;
  /** grey4: two coverage values (high byte first) → the packed byte of the two pixels (64 KB, built on first use). */
  private lut2: Uint8Array | undefined;
  /** The frame being encoded (see encode). */
  private scan: Buffer | undefined;
  private ready: Promise<void> | undefined;

  constructor(readonly options: RenderOptions) {
    this.availWidth = options.width - 2 * options.marginX;
    this.availHeight = options.height - 2 * options.marginY;
    this.inkSlack = Math.min(Math.max(2, Math.ceil(options.fontSize / 8)), Math.floor(this.availWidth / 4));
    const fg = parseColour(options.foreground, 'foreground');
    const bg = parseColour(options.background, 'background');
    const grey = fg[0] === fg[1] && fg[1] === fg[2] && bg[0] === bg[1] && bg[1] === bg[2];
    this.format = !grey ? 'rgb8' : options.bitDepth === 4 ? 'grey4' : 'grey8';
    // Coverage → output sample(s): a linear mix of background and foreground, quantised for 4-bit grey.
    const channels = this.format === 'rgb8' ? 3 : 1;
    this.lut = new Uint8Array(256 * channels);
    for (let c = 0; c < 256; c++) {
      for (let k = 0; k < channels; k++) {
        const v = bg[k] + ((fg[k] - bg[k]) * c) / 255;
        this.lut[c * channels + k] = this.format === 'grey4' ? Math.round(v / 17) : Math.round(v);
      }
    }
    const rowBytes = bytesPerRow(this.format, options.width);
    const row = Buffer.alloc(1 + rowBytes);
    if (this.format === 'grey4') {
      row.fill((this.lut[0] << 4) | this.lut[0], 1);
    } else if (this.format === 'grey8') {
      row.fill(this.lut[0], 1);
    } else {
      for (let x = 0; x < options.width; x++) {
        row[1 + 3 * x] = this.lut[0];
        row[2 + 3 * x] = this.lut[1];
        row[3 + 3 * x] = this.lut[2];
      }
    }
    this.blank = Buffer.alloc(row.length * options.height);
    for (let y = 0; y < options.height; y++) {
      row.copy(this.blank, y * row.length);
    }
  }

  /** Register the bundled fonts and the user's font file once per process. */
  init(): Promise<void> {
    this.ready ??= (async () => {
      for (const font of bundledFonts()) {
        await registerFont(font.file, font.family);
      }
      if (this.options.fontFile) {
        // A file that is not a font would silently fall back to another font: refuse it (OptionError naming the file).
        openFontFile(this.options.fontFile);
        await registerFont(this.options.fontFile, this.options.fontFamily.split(',')[0].trim());
      }
    })();
    return this.ready;
  }

  /** Lay out text at the frame's text width. Blank text gives undefined (a blank frame). */
  async layout(text: string): Promise<Block | undefined> {
    const trimmed = text.trim();
    if (!trimmed) {
      return undefined;
    }
    await this.init();
    const o = this.options;
    const { data, info } = await sharp({
      text: {
        text: toMarkup(trimmed),
        font: `${o.fontFamily} ${o.fontSize}px`,
        width: this.availWidth - this.inkSlack,
        wrap: 'word-char',
        dpi: 72,
        align: o.align,
        ...(o.lineSpacing > 0 ? { spacing: o.lineSpacing } : {}),
      },
    })
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data };
  }

  /** True if the block sits inside the margins (nothing clips). */
  fits(block: Block | undefined): boolean {
    return !block || (block.height <= this.availHeight && block.width <= this.availWidth);
  }

  /**
   * The top-left part of a block that fits the frame. Synthesis never needs it (paging splits text until it fits);
   * the curation editor does, to draw a frame range recorded with other settings.
   */
  clip(block: Block): Block {
    const width = Math.min(block.width, this.availWidth);
    const height = Math.min(block.height, this.availHeight);
    if (width === block.width && height === block.height) {
      return block;
    }
    const data = Buffer.alloc(width * height);
    for (let y = 0; y < height; y++) {
      block.data.copy(data, y * width, y * block.width, y * block.width + width);
    }
    return { width, height, data };
  }

  /**
   * 4-bit grey placement, two pixels a byte through a 64 KB table indexed by the pair as a little-endian 16-bit
   * value (the frame's hot loop), four pixels a 32-bit load where the coverage is aligned (a word with no ink, the
   * common case, costs one load and a compare; a row that starts mid-word joins two words by shifts). A pair with no
   * ink maps to the background byte, so a word with ink is stored without testing its halves.
   */
  private placeGrey4(scan: Buffer, src: Buffer, width: number, height: number, stride: number, top: number, left: number): void {
    const lut = this.lut;
    let lut2 = this.lut2;
    if (!lut2) {
      lut2 = this.lut2 = new Uint8Array(65536);
      for (let a = 0; a < 256; a++) {
        for (let b = 0; b < 256; b++) {
          // a: the first (left) pixel, the low byte of a little-endian load; it takes the high nibble.
          lut2[(b << 8) | a] = (lut[a] << 4) | lut[b];
        }
      }
    }
    const odd = left & 1;
    // A little-endian 32-bit view of the coverage when it is 4-byte aligned (sharp's buffers are).
    const words = LITTLE_ENDIAN && (src.byteOffset & 3) === 0 ? new Uint32Array(src.buffer, src.byteOffset, src.length >> 2) : undefined;
    for (let y = 0; y < height; y++) {
      const rowStart = (top + y) * stride + 1;
      const srcRow = y * width;
      let x = 0;
      if (odd && width > 0) {
        // The first pixel is the low nibble of its byte.
        const c = src[srcRow];
        if (c !== 0) {
          const i = rowStart + (left >> 1);
          scan[i] = (scan[i] & 0xf0) | lut[c];
        }
        x = 1;
      }
      let i = rowStart + ((left + x) >> 1);
      let j = srcRow + x;
      if (words) {
        const sh = (j & 3) * 8;
        const end = Math.min(srcRow + width, (words.length - 1) * 4);
        let k = j >> 2;
        if (sh === 0) {
          for (; j + 4 <= end; j += 4, i += 2) {
            const w = words[k++];
            if (w !== 0) {
              scan[i] = lut2[w & 0xffff];
              scan[i + 1] = lut2[w >>> 16];
            }
          }
        } else {
          let cur = words[k];
          for (; j + 4 <= end; j += 4, i += 2) {
            const next = words[++k];
            const w = (cur >>> sh) | (next << (32 - sh));
            cur = next;
            if (w !== 0) {
              scan[i] = lut2[w & 0xffff];
              scan[i + 1] = lut2[w >>> 16];
            }
          }
        }
        x = j - srcRow;
      }
      for (; x + 1 < width; x += 2, i++) {
        const pair = src[srcRow + x] | (src[srcRow + x + 1] << 8);
        if (pair !== 0) {
          scan[i] = lut2[pair];
        }
      }
      if (x < width) {
        // A last pixel alone is the high nibble of its byte.
        const c = src[srcRow + x];
        if (c !== 0) {
          scan[i] = (scan[i] & 0x0f) | (lut[c] << 4);
        }
      }
    }
  }

  /**
   * Place the block (vertically centred, aligned horizontally) and encode the frame as PNG. The scanlines are one
   * buffer reused frame after frame (reset to the blank frame by a copy): placing and deflating are synchronous, so
   * no two frames share it, and a 100 KB allocation a frame no longer drives the garbage collector.
   */
  async encode(block: Block | undefined): Promise<Buffer> {
    const o = this.options;
    const scan = (this.scan ??= Buffer.allocUnsafe(this.blank.length));
    this.blank.copy(scan);
    if (block) {
      if (!this.fits(block)) {
        throw new Error(`internal: a ${block.width}×${block.height} block does not fit ${this.availWidth}×${this.availHeight}`);
      }
      const stride = 1 + bytesPerRow(this.format, o.width);
      const top = o.marginY + Math.floor((this.availHeight - block.height) / 2);
      const free = this.availWidth - block.width;
      const left = o.marginX + (o.align === 'left' ? 0 : o.align === 'centre' ? Math.floor(free / 2) : free);
      const { lut, format } = this;
      const src = block.data;
      if (format === 'grey4') {
        this.placeGrey4(scan, src, block.width, block.height, stride, top, left);
        return encodePng(this.format, o.width, o.height, scan);
      }
      for (let y = 0; y < block.height; y++) {
        const rowStart = (top + y) * stride + 1;
        const srcRow = y * block.width;
        for (let x = 0; x < block.width; x++) {
          const c = src[srcRow + x];
          if (c === 0) {
            continue;
          }
          const px = left + x;
          if (format === 'grey8') {
            scan[rowStart + px] = lut[c];
          } else {
            const i = rowStart + 3 * px;
            scan[i] = lut[3 * c];
            scan[i + 1] = lut[3 * c + 1];
            scan[i + 2] = lut[3 * c + 2];
          }
        }
      }
    }
    return encodePng(this.format, o.width, o.height, scan);
  }
}
