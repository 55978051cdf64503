/** What the `t2vid` commands share: usage errors, number options, the progress bar and Ctrl-C cancellation. */

/** Bad command-line usage: exit code 2. */
export class UsageError extends Error {}

/** A whole-number option (undefined when absent); throws UsageError naming the option. */
export function wholeNumber(value: string | undefined, name: string, min?: number): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || (min !== undefined && n < min)) {
    throw new UsageError(`${name} takes a whole number${min !== undefined ? ` ≥ ${min}` : ''}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** A one-line progress bar on a TTY, redrawn at most every 100 ms; `detail` adds the command's own counters. */
export function progressBar<P extends { total: number; done: number }>(
  stream: NodeJS.WriteStream,
  detail: (progress: P, seconds: number) => string,
): { update: (progress: P) => void; clear: () => void } {
  const started = performance.now();
  let last = 0;
  const clock = (s: number): string => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  return {
    update: (progress) => {
      const now = performance.now();
      if (now - last < 100 && progress.done < progress.total) {
        return;
      }
      last = now;
      const width = 28;
      const fraction = progress.total ? progress.done / progress.total : 0;
      const filled = Math.round(fraction * width);
      const seconds = (now - started) / 1000;
      const eta = fraction > 0 ? (seconds / fraction) * (1 - fraction) : 0;
      stream.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${progress.done}/${progress.total} samples · ${detail(progress, seconds)} · ETA ${clock(eta)}\x1b[K`,
      );
    },
    clear: () => stream.write('\r\x1b[K'),
  };
}

/**
 * Ctrl-C (or SIGTERM) aborts the returned signal once, so the command can finish what is in flight and keep it;
 * a second Ctrl-C quits at once with 130. dispose() removes the handlers.
 */
export function interruptible(what: string): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    if (++interrupts > 1) {
      process.exit(130);
    }
    process.stderr.write(`\ncancelling: ${what} (Ctrl-C again to quit at once)…\n`);
    controller.abort(new Error('cancelled'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
