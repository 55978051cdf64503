/**
 * Frame strips for the curation editor: the frames of one sample's context, rendered by the real engine into
 * content-addressed PNGs (hash of settings + page text, like the preview), in a render process of their own (the
 * `dist/worker.js strips`) so the extension host never lays out text.
 * - A record that carries its frame ranges (a `*.t2vid.jsonl` line) is drawn with exactly those ranges, so a
 *   question's "Frame 3" is the frame the generator saw; other records are paginated with the current settings.
 * - Requests are served newest first (the rows the user scrolled to last), one at a time; old ones are dropped.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/fsutil';
import { optionsKey, type EngineOptions } from '../options';
import { forkWorker, workerScript } from '../util/worker';
import { PreviewEngine } from '../preview';
import { Renderer } from '../render';
import type { Range } from '../segment';
import { engineVersion } from '../version';

export interface StripPage {
  index: number;
  /** Absolute path of the PNG. */
  file: string;
  range: Range;
  /** A recorded range whose text does not fit a frame at the current settings: drawn cut at the frame's edge. */
  clipped: boolean;
}

export interface StripRequest {
  text: string;
  options: EngineOptions;
  /** Recorded ranges to draw; undefined: paginate with `options`. */
  ranges?: Range[];
}

/** Renders strips; one per process (libvips lays out text one at a time per process). */
export class StripEngine {
  private readonly preview: PreviewEngine;
  private renderer: Renderer | undefined;
  private key = '';

  constructor(readonly cacheDir: string) {
    this.preview = new PreviewEngine(cacheDir, 32 << 20);
  }

  async render(request: StripRequest, signal?: AbortSignal): Promise<StripPage[]> {
    if (!request.ranges) {
      const result = await this.preview.render(request.text, request.options, signal);
      return result.pages.map((p) => ({ index: p.index, file: p.file, range: p.range, clipped: false }));
    }
    const key = optionsKey(request.options, engineVersion());
    if (!this.renderer || key !== this.key) {
      this.renderer = new Renderer(request.options.render);
      this.key = key;
    }
    await fs.promises.mkdir(this.cacheDir, { recursive: true });
    const pages: StripPage[] = [];
    for (const [index, range] of request.ranges.entries()) {
      signal?.throwIfAborted();
      const text = request.text.slice(range[0], range[1]);
      const name = createHash('sha256').update(key).update('\0').update(text).digest('hex').slice(0, 32);
      const file = path.join(this.cacheDir, `${name}.png`);
      const clippedFile = path.join(this.cacheDir, `${name}.clipped.png`);
      let clipped = fs.existsSync(clippedFile);
      if (!clipped && !fs.existsSync(file)) {
        // A range recorded with other settings may not fit the frame now: it is drawn cut at the frame's edge.
        const block = await this.renderer.layout(text);
        clipped = !this.renderer.fits(block);
        await writeFileAtomic(
          clipped ? clippedFile : file,
          await this.renderer.encode(block && clipped ? this.renderer.clip(block) : block),
        );
      }
      pages.push({ index, file: clipped ? clippedFile : file, range, clipped });
    }
    return pages;
  }
}

type ToStrips = { type: 'render'; id: number; request: StripRequest };
type FromStrips = { type: 'result'; id: number; pages: StripPage[] } | { type: 'error'; id: number; message: string };

/** Runs in the strips process. */
export function runStripWorker(cacheDir: string): void {
  const engine = new StripEngine(cacheDir);
  let chain = Promise.resolve();
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: ToStrips) => {
    chain = chain.then(() =>
      engine.render(message.request).then(
        (pages) => {
          process.send?.({ type: 'result', id: message.id, pages } satisfies FromStrips);
        },
        (e: unknown) => {
          process.send?.({ type: 'error', id: message.id, message: (e as Error).message ?? String(e) } satisfies FromStrips);
        },
      ),
    );
  });
}

interface Queued {
  request: StripRequest;
  resolve: (pages: StripPage[]) => void;
  reject: (e: Error) => void;
}

/** Dropped from the queue because newer requests pushed it out. */
export class StripDropped extends Error {
  constructor() {
    super('strip request dropped');
    this.name = 'StripDropped';
  }
}

export class StripClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private inFlight: { id: number; job: Queued } | undefined;
  private readonly queue: Queued[] = [];

  constructor(
    readonly cacheDir: string,
    private readonly maxQueued = 48,
    private readonly script = workerScript(),
  ) {}

  /** The pages of one strip; newest requests are served first. */
  render(request: StripRequest): Promise<StripPage[]> {
    return new Promise<StripPage[]>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      while (this.queue.length > this.maxQueued) {
        this.queue.shift()?.reject(new StripDropped());
      }
      this.pump();
    });
  }

  private process(): ChildProcess {
    if (this.child && this.child.connected) {
      return this.child;
    }
    const child = forkWorker(this.script, 'strips', this.cacheDir);
    child.on('message', (message: FromStrips) => {
      const current = this.inFlight;
      if (!current || current.id !== message.id) {
        return;
      }
      this.inFlight = undefined;
      if (message.type === 'result') {
        current.job.resolve(message.pages);
      } else {
        current.job.reject(new Error(message.message));
      }
      this.pump();
    });
    child.on('exit', () => {
      if (this.child === child) {
        this.child = undefined;
      }
      const current = this.inFlight;
      this.inFlight = undefined;
      current?.job.reject(new Error('the strip render process stopped'));
      this.pump();
    });
    this.child = child;
    return child;
  }

  private pump(): void {
    if (this.inFlight) {
      return;
    }
    const job = this.queue.pop();
    if (!job) {
      return;
    }
    try {
      const child = this.process();
      const id = this.nextId++;
      this.inFlight = { id, job };
      child.send({ type: 'render', id, request: job.request } satisfies ToStrips);
    } catch (e) {
      job.reject(e as Error);
    }
  }

  dispose(): void {
    for (const job of this.queue.splice(0)) {
      job.reject(new StripDropped());
    }
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
    }
  }
}
