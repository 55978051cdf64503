/**
 * `t2vid qa INPUT... --out FILE.t2vid.jsonl`: generate question/answer pairs grounded in the frames of each context.
 * Exit codes as `t2vid synth`: 0 done, 1 nothing usable or an error, 2 bad usage, 130 cancelled.
 */
import { parseArgs } from 'node:util';
import { describeInputCounts } from '../core/model';
import { escapeControl } from '../core/util/terminal';
import {
  defaultOf as d,
  ENGINE_ARGS,
  engineFromArgs,
  finishRun,
  interruptible,
  progressBar,
  settingNumber,
  stderrReporters,
  UsageError,
} from './common';
import { OptionError } from '../core/options';
import { OutputIsInputError } from '../core/util/fsutil';
import { generateQA, type QAProgress, type QASummary } from '../core/qa/run';
import { QA_GENERATORS, type QAGenerator } from '../shared/vocabulary';
import { parseFieldMapping } from '../core/readers/index';

export const QA_HELP = `Usage: t2vid qa INPUT... --out FILE.t2vid.jsonl [options]

Generate question/answer pairs about each context, grounded in its frames (0-based supportingFrames).
Each record starts with the input's own pairs (provenance "source", kind "other"), then the generated ones.
  --generator ${QA_GENERATORS.join('|')}    ${d('qa.generator')} (default): offline, deterministic temporal questions (first mention,
                             order of passages, what comes next, counting, first/last frame);
                             llm: any OpenAI-compatible endpoint (key from OPENAI_API_KEY)
  --per-doc N                generated questions per document (default ${d('qa.perDoc')}; the input's own pairs come on top)
  --no-source-qa             leave the input's own question/answer pairs out of the records
  --seed S                   builtin seed (default ${d('qa.seed')})
  --base-url URL --model M   the endpoint and model (llm)
  --concurrency K            samples and requests in flight (default ${d('qa.concurrency')})
  --timeout-ms T             per-request timeout (default ${d('qa.timeoutMs')})
  --budget-tokens N          stop starting requests once N prompt+completion tokens are used
  --cache-dir DIR            LLM reply cache (default .t2vid-cache/qa beside the output)
  --preset, --mode, --words, --count, --locale, --size, --font-size, --font, --font-file, --margin,
  --margin-x, --margin-y, --line-spacing, --align (and --foreground, --background, --bit-depth):
                             as in t2vid synth, so frames match
  --fields MAP               field mapping, as in t2vid synth
  --json                     print the run summary as JSON on stdout
  --quiet                    no progress bar
Resume: samples already in the output file are skipped; failed samples are retried by the next run.
Exit codes: 0 done, 1 nothing usable or an error, 2 bad usage, 130 cancelled.
`;

/** The flags of `t2vid qa`. */
export const QA_ARGS = {
  out: { type: 'string', short: 'o' },
  generator: { type: 'string' },
  'per-doc': { type: 'string' },
  'no-source-qa': { type: 'boolean' },
  seed: { type: 'string' },
  'base-url': { type: 'string' },
  model: { type: 'string' },
  concurrency: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'budget-tokens': { type: 'string' },
  'cache-dir': { type: 'string' },
  ...ENGINE_ARGS,
  fields: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

function report(s: QASummary): string {
  const lines = [
    `${s.cancelled ? 'cancelled' : s.stopped ? 'stopped' : 'done'}: ${s.generated} samples generated, ${s.resumed} already done, ${s.failed} failed` +
      (s.skipped ? `, ${s.skipped} not started` : '') +
      `; ${s.pairs} pairs generated${s.sourcePairs ? ` + ${s.sourcePairs} from the input` : ''} in ${s.seconds.toFixed(1)} s → ${s.out}`,
  ];
  if (s.generator === 'llm') {
    lines.push(
      `tokens: ${s.promptTokens} prompt + ${s.completionTokens} completion; ${s.requests} requests, ${s.retries} retries, ${s.cacheHits} from cache`,
    );
  }
  for (const f of s.responseFormatFallbacks ?? []) {
    lines.push(
      `the endpoint refused response_format ${f.from} (${f.reason}): this run asked for ${f.to === 'prompt' ? 'JSON in the prompt only' : f.to} instead, same validation`,
    );
  }
  if (s.budgetExhausted) {
    lines.push('token budget reached: no new requests were started; run again (with a larger --budget-tokens) to continue');
  }
  if (s.stopped) {
    lines.push(`the run stopped: ${s.stopped}`);
  } else if (s.cancelled) {
    lines.push('run the same command again to resume');
  }
  const input = describeInputCounts(s.input);
  if (input) {
    lines.push(input);
  }
  return lines.join('\n');
}

export async function qaCommand(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (e) {
    const usage =
      e instanceof UsageError ||
      e instanceof OptionError ||
      e instanceof OutputIsInputError ||
      (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`t2vid qa: ${escapeControl((e as Error).message)}\n${usage ? "see 't2vid qa --help'\n" : ''}`);
    return usage ? 2 : 1;
  }
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: QA_ARGS });
  if (values.help) {
    process.stdout.write(QA_HELP);
    return 0;
  }
  if (!positionals.length) {
    throw new UsageError('qa needs at least one INPUT file');
  }
  if (!values.out) {
    throw new UsageError('qa needs --out FILE.t2vid.jsonl');
  }
  if (!values.out.endsWith('.t2vid.jsonl')) {
    throw new UsageError(`--out must name a .t2vid.jsonl file, got ${JSON.stringify(values.out)}`);
  }
  const generator = QA_GENERATORS.find((g) => g === (values.generator ?? d('qa.generator'))) as QAGenerator | undefined;
  if (!generator) {
    throw new UsageError(`--generator must be ${QA_GENERATORS.join(' or ')}, got ${JSON.stringify(values.generator)}`);
  }
  const perDoc = settingNumber(values['per-doc'], 'qa.perDoc');
  const seed = settingNumber(values.seed, 'qa.seed');
  const concurrency = settingNumber(values.concurrency, 'qa.concurrency');
  const timeoutMs = settingNumber(values['timeout-ms'], 'qa.timeoutMs');
  // 0: no cap, as the setting.
  const budgetTokens = settingNumber(values['budget-tokens'], 'qa.budgetTokens') || undefined;
  let llm: Parameters<typeof generateQA>[0]['llm'];
  if (generator === 'llm') {
    const apiKey = process.env.OPENAI_API_KEY ?? '';
    if (!values['base-url'] || !values.model) {
      throw new UsageError('--generator llm needs --base-url URL and --model M');
    }
    if (!apiKey) {
      throw new UsageError('--generator llm needs the API key in the OPENAI_API_KEY environment variable');
    }
    llm = { baseURL: values['base-url'], model: values.model, apiKey, timeoutMs, budgetTokens, cacheDir: values['cache-dir'] };
  } else if (values['base-url'] || values.model || values['budget-tokens'] || values['timeout-ms']) {
    throw new UsageError('--base-url, --model, --timeout-ms and --budget-tokens apply to --generator llm');
  }
  const engine = engineFromArgs(values);
  let fields;
  try {
    fields = values.fields ? parseFieldMapping(values.fields) : undefined;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }

  const bar = process.stderr.isTTY && !values.quiet ? progressBar<QAProgress>(process.stderr, (p) => `${p.pairs} pairs`) : undefined;
  const clearLine = (): void => bar?.clear();
  const interrupt = interruptible('finished samples are kept');
  let summary: QASummary;
  try {
    summary = await generateQA({
      inputs: positionals,
      out: values.out,
      engine,
      fields,
      generator,
      perDoc,
      sourceQa: !values['no-source-qa'],
      seed,
      llm,
      concurrency,
      signal: interrupt.signal,
      onProgress: bar?.update,
      ...stderrReporters(clearLine),
    });
  } finally {
    clearLine();
    interrupt.dispose();
  }
  return finishRun(summary, values.json === true, report);
}
