/** Cancellable waiting: an abortable sleep and a counting semaphore whose waits can be cancelled. */

/** Resolves after `ms`, or rejects with `signal.reason` as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A counting semaphore whose waits can be cancelled. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {}

  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.active >= this.size) {
      await new Promise<void>((resolve, reject) => {
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          const i = this.waiting.indexOf(wake);
          if (i >= 0) {
            this.waiting.splice(i, 1);
          }
          reject(signal!.reason);
        };
        this.waiting.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      this.active++;
    }
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      const next = this.waiting.shift();
      if (next) {
        next(); // the slot passes straight to the next waiter
      } else {
        this.active--;
      }
    };
  }
}

/**
 * A signal of its own that follows `parent`, for one call to an API that adds an 'abort' listener to the signal it is
 * given and never removes it (the OpenAI client does, once per request: a long run's signal would collect one
 * listener per request and Node warns "MaxListenersExceededWarning: 11 abort listeners"). dispose() removes our
 * one listener from `parent` when the call is over.
 */
export function linkedSignal(parent?: AbortSignal): { signal: AbortSignal | undefined; dispose: () => void } {
  if (!parent) {
    return { signal: undefined, dispose: () => undefined };
  }
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, dispose: () => undefined };
  }
  const onAbort = (): void => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { signal: controller.signal, dispose: () => parent.removeEventListener('abort', onAbort) };
}
