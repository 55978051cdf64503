/** What the `t2vid` commands share: usage errors, number options, engine options, the progress bar and Ctrl-C cancellation. */
import * as path from 'node:path';
import { formatIssue, issueLine, type ReadIssue, type SourceRef } from '../core/model';
import {
  OPTION_TABLE,
  OptionError,
  resolveOptions,
  type Align,
  type CountUnit,
  type EngineOptions,
  type Preset,
  type RenderOptions,
  type SegmentMode,
  type SegmentOptions,
  type SettingName,
  type SettingSpec,
} from '../core/options';
import { boundsOf } from '../shared/settings';
import { openFontFile } from '../core/fontCoverage';
import { redact } from '../core/util/redact';
import { escapeControlKeepLines, escapeJsonControl } from '../core/util/terminal';

/** Bad command-line usage: exit code 2. */
export class UsageError extends Error {}

/** A whole-number option (undefined when absent); throws UsageError naming the option. */
export function wholeNumber(value: string | undefined, name: string, min?: number, max?: number): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
    const range =
      min !== undefined && max !== undefined
        ? ` from ${min} to ${max}`
        : min !== undefined
          ? ` ≥ ${min}`
          : max !== undefined
            ? ` ≤ ${max}`
            : '';
    throw new UsageError(`${name} takes a whole number${range}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The whole-number flag of a setting in the option table, checked against the table's bounds. */
export function settingNumber(value: string | undefined, setting: SettingName): number | undefined {
  const spec: SettingSpec = OPTION_TABLE[setting];
  const { min, max } = boundsOf(setting);
  return wholeNumber(value, spec.flag ?? setting, Number.isFinite(min) ? min : undefined, Number.isFinite(max) ? max : undefined);
}

/** A setting's default as the CLI help prints it. */
export function defaultOf(setting: SettingName): string {
  return String(OPTION_TABLE[setting].default);
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

/** The options that decide how frames look and where they are cut: the same flags on every command that makes frames. */
export const ENGINE_ARGS = {
  preset: { type: 'string' },
  mode: { type: 'string' },
  words: { type: 'string' },
  count: { type: 'string' },
  locale: { type: 'string' },
  size: { type: 'string' },
  'font-size': { type: 'string' },
  font: { type: 'string' },
  'font-file': { type: 'string' },
  margin: { type: 'string' },
  'margin-x': { type: 'string' },
  'margin-y': { type: 'string' },
  'line-spacing': { type: 'string' },
  foreground: { type: 'string' },
  background: { type: 'string' },
  align: { type: 'string' },
  'bit-depth': { type: 'string' },
} as const;

export type EngineArgValues = { [K in keyof typeof ENGINE_ARGS]?: string };

/** Engine options from those flags (checked by resolveOptions, which throws OptionError naming the bad one). */
export function engineFromArgs(values: EngineArgValues): EngineOptions {
  let size: { width?: number; height?: number } = {};
  if (values.size !== undefined) {
    const m = /^(\d+)(?:[x×](\d+))?$/i.exec(values.size.trim());
    if (!m) {
      throw new UsageError(`--size takes N or WxH, e.g. 448 or 448x336, got ${JSON.stringify(values.size)}`);
    }
    size = { width: Number(m[1]), height: Number(m[2] ?? m[1]) };
  }
  const margin = wholeNumber(values.margin, '--margin');
  const align = values.align === 'center' ? 'centre' : values.align;
  const segment: Partial<SegmentOptions> = {
    mode: values.mode as SegmentMode | undefined,
    wordsPerFrame: wholeNumber(values.words, '--words'),
    countUnit: values.count as CountUnit | undefined,
    locale: values.locale,
  };
  // Only the flags given: what a flag leaves undefined comes from --preset, then the defaults (resolveOptions).
  const render: Partial<RenderOptions> = {
    preset: values.preset as Preset | undefined,
    ...size,
    fontSize: wholeNumber(values['font-size'], '--font-size'),
    fontFamily: values.font,
    fontFile: values['font-file'] ? path.resolve(values['font-file']) : undefined,
    marginX: wholeNumber(values['margin-x'], '--margin-x') ?? margin,
    marginY: wholeNumber(values['margin-y'], '--margin-y') ?? margin,
    lineSpacing: wholeNumber(values['line-spacing'], '--line-spacing'),
    foreground: values.foreground,
    background: values.background,
    align: align as Align | undefined,
    bitDepth: wholeNumber(values['bit-depth'], '--bit-depth') as 4 | 8 | undefined,
  };
  const engine = withFlags(() => resolveOptions({ segment, render }));
  if (engine.render.fontFile) {
    openFontFile(engine.render.fontFile, '--font-file'); // a font, or OptionError (exit 2) before any work
  }
  return engine;
}

/** Runs `fn`; an OptionError about a setting is re-thrown as a UsageError naming the CLI flag (`--font-size`, not `fontSize`). */
export function withFlags<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OptionError && e.setting && e.detail !== undefined) {
      const spec: SettingSpec = OPTION_TABLE[e.setting];
      throw new UsageError(`${spec.flag ?? e.setting} ${e.detail}`);
    }
    throw e;
  }
}

/** stderr reporters for a skipped input line and a failed sample, clearing the progress bar's line first. */
export function stderrReporters(clearLine: () => void): {
  onIssue: (issue: ReadIssue) => void;
  onSampleError: (error: { id: string; source: SourceRef; message: string }) => void;
  onWarning: (warning: ReadIssue) => void;
} {
  return {
    onIssue: (issue) => {
      clearLine();
      process.stderr.write(`${issueLine(issue)}\n`);
    },
    onSampleError: (error) => {
      clearLine();
      process.stderr.write(redact(`failed ${formatIssue({ ...error.source, message: `${error.id}: ${error.message}` })}`) + '\n');
    },
    onWarning: (warning) => {
      clearLine();
      process.stderr.write(`warning ${formatIssue(warning)}\n`);
    },
  };
}

/**
 * The end of a run command: the summary as one JSON line on stdout (`--json`) or the human report on stderr, then the
 * exit code: 130 if cancelled, 1 if the run produced nothing usable, 0 otherwise.
 */
export function finishRun<S extends { ok: boolean; cancelled: boolean }>(
  summary: S,
  json: boolean,
  report: (summary: S) => string,
): number {
  // redact: no API key (or Bearer token an endpoint echoed into an error) reaches stdout or stderr.
  if (json) {
    process.stdout.write(escapeJsonControl(redact(JSON.stringify(summary))) + '\n');
  } else {
    process.stderr.write(escapeControlKeepLines(redact(report(summary))) + '\n');
  }
  if (summary.cancelled) {
    return 130;
  }
  return summary.ok ? 0 : 1;
}
