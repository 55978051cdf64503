/**
 * The preview render process: a long-lived child (`dist/worker.js preview`) that owns a
 * PreviewEngine. The client sends one render at a time; a newer request cancels the one in flight, so a fast typist
 * only ever waits for the latest text. No vscode import: the extension and the tests both use this.
 */
import type { ChildProcess } from 'node:child_process';
import type { EngineOptions } from './options';
import { forkWorker, workerScript } from './util/worker';
import { PreviewEngine, type PreviewPage, type PreviewResult } from './preview';

type ToPreview =
  | { type: 'render'; id: number; text: string; options: EngineOptions; focus?: { offset: number; after: number }; stream: boolean }
  | { type: 'cancel'; id: number };
type FromPreview =
  | { type: 'partial'; id: number; pages: PreviewPage[] }
  | { type: 'pages'; id: number; pages: PreviewPage[] }
  | { type: 'result'; id: number; result: PreviewResult }
  | { type: 'error'; id: number; message: string; cancelled: boolean };

/** Runs in the preview process. */
export function runPreviewWorker(cacheDir: string): void {
  const engine = new PreviewEngine(cacheDir);
  const running = new Map<number, AbortController>();
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: ToPreview) => {
    if (message.type === 'cancel') {
      running.get(message.id)?.abort(new Error('cancelled'));
      return;
    }
    const controller = new AbortController();
    running.set(message.id, controller);
    const focus = message.focus;
    engine
      .render(
        message.text,
        message.options,
        controller.signal,
        focus && {
          focus: focus.offset,
          after: focus.after,
          onPartial: (pages) => process.send?.({ type: 'partial', id: message.id, pages } satisfies FromPreview),
        },
        message.stream ? (pages) => process.send?.({ type: 'pages', id: message.id, pages } satisfies FromPreview) : undefined,
      )
      .then(
        (result) => process.send?.({ type: 'result', id: message.id, result } satisfies FromPreview),
        (e: unknown) =>
          process.send?.({
            type: 'error',
            id: message.id,
            message: (e as Error).message ?? String(e),
            cancelled: controller.signal.aborted,
          } satisfies FromPreview),
      )
      .finally(() => running.delete(message.id));
  });
}

export class PreviewCancelled extends Error {
  constructor() {
    super('preview superseded');
    this.name = 'PreviewCancelled';
  }
}

export class PreviewClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    {
      resolve: (r: PreviewResult) => void;
      reject: (e: Error) => void;
      onPartial?: (pages: PreviewPage[]) => void;
      onPages?: (pages: PreviewPage[]) => void;
    }
  >();
  private latest = 0;

  constructor(
    readonly cacheDir: string,
    private readonly script = workerScript(),
  ) {}

  private process(): ChildProcess {
    if (this.child && this.child.connected) {
      return this.child;
    }
    const child = forkWorker(this.script, 'preview', this.cacheDir);
    child.on('message', (message: FromPreview) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) {
        return;
      }
      if (message.type === 'partial') {
        waiter.onPartial?.(message.pages);
        return;
      }
      if (message.type === 'pages') {
        waiter.onPages?.(message.pages);
        return;
      }
      this.pending.delete(message.id);
      if (message.type === 'result') {
        waiter.resolve(message.result);
      } else {
        waiter.reject(message.cancelled ? new PreviewCancelled() : new Error(message.message));
      }
    });
    child.on('exit', () => {
      if (this.child === child) {
        this.child = undefined;
      }
      for (const [id, waiter] of this.pending) {
        this.pending.delete(id);
        waiter.reject(new Error('the preview render process stopped'));
      }
    });
    this.child = child;
    return child;
  }

  /**
   * Render `text`; rejects with PreviewCancelled if a newer render was asked for meanwhile. With `focus`, the pages
   * up to the one holding `focus.offset` (and `focus.after` more) are also handed to `focus.onPartial` as soon as
   * they are ready. With `onPages`, the frames stream in as they are written (after those of the early look): a
   * long document's first frames need not wait for its last.
   */
  render(
    text: string,
    options: EngineOptions,
    focus?: { offset: number; after: number; onPartial: (pages: PreviewPage[]) => void },
    onPages?: (pages: PreviewPage[]) => void,
  ): Promise<PreviewResult> {
    const child = this.process();
    const id = this.nextId++;
    if (this.latest && this.pending.has(this.latest)) {
      child.send({ type: 'cancel', id: this.latest } satisfies ToPreview);
    }
    this.latest = id;
    return new Promise<PreviewResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onPartial: focus?.onPartial, onPages });
      child.send({
        type: 'render',
        id,
        text,
        options,
        focus: focus && { offset: focus.offset, after: focus.after },
        stream: !!onPages,
      } satisfies ToPreview);
    });
  }

  dispose(): void {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
    }
  }
}
