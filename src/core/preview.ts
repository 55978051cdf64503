/**
 * Live preview rendering: the same engine as synthesis, tuned for re-rendering a document on every pause in typing.
 * - Layouts are cached by text (an LRU bounded in bytes), so pages an edit did not touch are not laid out again.
 * - Frame PNGs are content-addressed (hash of settings + page text) in a cache folder, so they are encoded once
 *   and an unchanged frame keeps its file name (the webview keeps its <img>).
 * It runs in a render process of its own (previewClient.ts) so the extension host's thread never lays out text.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { writeFileAtomic } from './util/fsutil';
import { optionsKey, type EngineOptions } from './options';
import { paginate } from './paginate';
import { Renderer, type Block } from './render';
import { countWords, SegmentCache, segmentLocale } from './segment';
import { engineVersion } from './version';

export interface PreviewPage {
  index: number;
  /** Absolute path of the frame PNG. */
  file: string;
  range: [number, number];
  words: number;
}

export interface PreviewResult {
  pages: PreviewPage[];
  /** Milliseconds spent rendering. */
  ms: number;
  width: number;
  height: number;
}

/** A cached layout whose coverage is kept deflated (about 9× smaller); its `data` is inflated when read. */
function packedBlock(width: number, height: number, packed: Buffer): Block {
  return {
    width,
    height,
    get data(): Buffer {
      return inflateRawSync(packed);
    },
  };
}

/**
 * Layouts by text, most recently used last, bounded in bytes. Past the bound the oldest layouts are first deflated
 * (0.4 ms each; a 448-px frame's coverage goes from ~150 KB to ~17 KB) and only then dropped: a 150,000-word book
 * needs about 3,000 layouts, which raw would take ~450 MB. Paging reads a cached layout's size, not its pixels, and
 * a frame whose PNG is already in the cache is never encoded again, so a deflated layout is rarely inflated.
 */
class CachingRenderer extends Renderer {
  private readonly layouts = new Map<string, { block: Block | undefined; bytes: number }>();
  /** The keys of layouts still raw, oldest first. */
  private readonly raw = new Set<string>();
  private bytes = 0;

  constructor(
    options: EngineOptions['render'],
    private readonly maxBytes: number,
  ) {
    super(options);
  }

  override async layout(text: string): Promise<Block | undefined> {
    const hit = this.layouts.get(text);
    if (hit) {
      this.layouts.delete(text);
      this.layouts.set(text, hit); // most recently used last
      if (this.raw.delete(text)) {
        this.raw.add(text);
      }
      return hit.block;
    }
    const block = await super.layout(text);
    const bytes = (block?.data.length ?? 0) + text.length * 2;
    this.layouts.set(text, { block, bytes });
    if (block) {
      this.raw.add(text);
    }
    this.bytes += bytes;
    for (const key of this.raw) {
      if (this.bytes <= this.maxBytes) {
        break;
      }
      this.raw.delete(key);
      const entry = this.layouts.get(key);
      if (entry?.block) {
        const packed = deflateRawSync(entry.block.data, { level: 1 });
        const smaller = packed.length + key.length * 2;
        this.bytes -= entry.bytes - smaller;
        entry.bytes = smaller;
        entry.block = packedBlock(entry.block.width, entry.block.height, packed);
      }
    }
    for (const [key, old] of this.layouts) {
      if (this.bytes <= this.maxBytes) {
        break;
      }
      this.layouts.delete(key);
      this.raw.delete(key);
      this.bytes -= old.bytes;
    }
    return block;
  }
}

/** Ask for an early look: once the pages reach past `focus` (a text offset) by `after` more pages, `onPartial` gets them. */
export interface PartialRequest {
  focus: number;
  after: number;
  onPartial: (pages: PreviewPage[]) => void;
}

/**
 * Groups laid out at once while the pages through the cursor are awaited. Measured on a 5,000-word document, a word
 * typed in the middle, time to those pages (median of 20): lookahead 4: 21–28 ms, 2: 23 ms, 1: 14–18 ms.
 */
const EARLY_LOOKAHEAD = 1;

/**
 * Streaming: the first frames of a render are handed on once this many are written (about a screenful of
 * thumbnails), then the new ones every PROGRESS_MS, so a book-length document shows its start at once and fills in.
 */
const FIRST_BATCH = 8;
const PROGRESS_MS = 120;

export class PreviewEngine {
  private renderer: CachingRenderer | undefined;
  private key = '';
  private readonly segments = new SegmentCache();

  constructor(
    readonly cacheDir: string,
    private readonly layoutCacheBytes = 96 << 20,
  ) {}

  /**
   * Render all frames of `text`; throws signal.reason if cancelled. `progress` gets the frames as they are written
   * (each frame once, in order), except those an early `partial` look hands on.
   */
  async render(
    text: string,
    options: EngineOptions,
    signal?: AbortSignal,
    partial?: PartialRequest,
    progress?: (pages: PreviewPage[]) => void,
  ): Promise<PreviewResult> {
    const started = performance.now();
    const key = optionsKey(options, engineVersion());
    if (!this.renderer || key !== this.key) {
      this.renderer = new CachingRenderer(options.render, this.layoutCacheBytes);
      this.key = key;
    }
    const renderer = this.renderer;
    await fs.promises.mkdir(this.cacheDir, { recursive: true });
    const locale = segmentLocale(text, options.segment.locale);
    const pages: PreviewPage[] = [];
    const writes: Array<Promise<void>> = [];
    let early = partial ? { ...partial } : undefined;
    // Until the pages through the cursor are out, lay out one group at a time: groups past it would only hold up
    // the cursor's (libvips lays out text one at a time per process).
    const lookahead = (): number => (early ? EARLY_LOOKAHEAD : 4);
    /** Pages handed on so far (by `progress` or the early look). */
    let announced = 0;
    let flushed = performance.now();
    for await (const page of paginate(text, renderer, { segment: options.segment, signal, lookahead, segmentCache: this.segments })) {
      const name = createHash('sha256').update(key).update('\0').update(page.text).digest('hex').slice(0, 32);
      const file = path.join(this.cacheDir, `${name}.png`);
      pages.push({ index: page.index, file, range: page.range, words: countWords(page.text, locale, this.segments) });
      if (!fs.existsSync(file)) {
        writes.push(renderer.encode(page.block).then((png) => writeFileAtomic(file, png)));
        if (writes.length >= 4) {
          await writes.shift();
        }
      }
      if (early && page.range[1] > early.focus && early.after-- <= 0) {
        // Pages up to the cursor are mostly layout-cache hits after an edit: show them before the rest is laid out.
        await Promise.all(writes);
        writes.length = 0;
        signal?.throwIfAborted();
        early.onPartial(pages.slice());
        early = undefined;
        announced = pages.length;
        flushed = performance.now();
      } else if (progress && !early && (announced === 0 ? pages.length >= FIRST_BATCH : performance.now() - flushed >= PROGRESS_MS)) {
        await Promise.all(writes); // a frame is announced once its PNG is on disk
        writes.length = 0;
        signal?.throwIfAborted();
        progress(pages.slice(announced));
        announced = pages.length;
        flushed = performance.now();
      }
    }
    await Promise.all(writes);
    signal?.throwIfAborted();
    return { pages, ms: performance.now() - started, width: options.render.width, height: options.render.height };
  }
}

/** Remove cached frames not used for `maxAgeMs` (file mtimes; a hit re-touches nothing, so this is age since render). */
export async function pruneCache(dir: string, maxAgeMs: number): Promise<number> {
  let removed = 0;
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return 0;
  }
  const now = Date.now();
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const st = await fs.promises.stat(file);
      if (st.isFile() && now - st.mtimeMs > maxAgeMs) {
        await fs.promises.rm(file, { force: true });
        removed++;
      }
    } catch {
      // raced with another prune or a render: fine
    }
  }
  return removed;
}
