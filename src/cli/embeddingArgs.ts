/**
 * `--embeddings builtin|api` and the endpoint flags, shared by `t2vid diversity` and `t2vid select`: the same base URL,
 * key (OPENAI_API_KEY, never printed) and cache handling as `t2vid qa --generator llm`.
 */
import * as path from 'node:path';
import { ApiEmbedder } from '../core/diversity/apiEmbeddings';
import { escapeControl } from '../core/util/terminal';
import { EMBEDDING_SOURCES, type EmbeddingSource } from '../shared/diversity';
import { UsageError, wholeNumber } from './common';

export const EMBEDDING_ARGS = {
  embeddings: { type: 'string' },
  'base-url': { type: 'string' },
  'embedding-model': { type: 'string' },
  'cache-dir': { type: 'string' },
  concurrency: { type: 'string' },
  'timeout-ms': { type: 'string' },
} as const;

/** The flags' help lines; `cacheDefault` says where the cache goes by default. */
export const embeddingHelp = (
  cacheDefault: string,
): string => `  --embeddings ${EMBEDDING_SOURCES.join('|')}  the semantic metrics' embeddings: the built-in offline word vectors
                         (default), or any OpenAI-compatible /embeddings endpoint (key from OPENAI_API_KEY)
  --base-url URL --embedding-model M   the endpoint and model (api)
  --cache-dir DIR        embeddings cache, by endpoint, model and text hash, so a re-run sends nothing
                         (default ${cacheDefault})
  --concurrency K        requests in flight (default 4; 256 texts a request)
  --timeout-ms T         per-request timeout (default 120000)`;

export type EmbeddingArgValues = { [K in keyof typeof EMBEDDING_ARGS]?: string };

/** The embedder the flags ask for: undefined for the built-in word vectors; a UsageError for a bad combination. */
export function embedderFromArgs(values: EmbeddingArgValues, command: string, defaultCacheDir: string): ApiEmbedder | undefined {
  const source = (values.embeddings ?? 'builtin') as EmbeddingSource;
  if (!EMBEDDING_SOURCES.includes(source)) {
    throw new UsageError(`--embeddings must be ${EMBEDDING_SOURCES.join(' or ')}, got ${JSON.stringify(values.embeddings)}`);
  }
  const concurrency = wholeNumber(values.concurrency, '--concurrency', 1, 64);
  const timeoutMs = wholeNumber(values['timeout-ms'], '--timeout-ms', 1);
  if (source === 'builtin') {
    const extra = (['base-url', 'embedding-model', 'cache-dir', 'concurrency', 'timeout-ms'] as const).filter(
      (f) => values[f] !== undefined,
    );
    if (extra.length) {
      throw new UsageError(`${extra.map((f) => `--${f}`).join(', ')} apply to --embeddings api`);
    }
    return undefined;
  }
  if (!values['base-url'] || !values['embedding-model']) {
    throw new UsageError('--embeddings api needs --base-url URL and --embedding-model M');
  }
  const apiKey = process.env.OPENAI_API_KEY ?? '';
  if (!apiKey) {
    throw new UsageError('--embeddings api needs the API key in the OPENAI_API_KEY environment variable');
  }
  return new ApiEmbedder({
    baseURL: values['base-url'],
    model: values['embedding-model'],
    apiKey,
    concurrency,
    timeoutMs,
    cacheDir: values['cache-dir'] ?? defaultCacheDir,
    onRetry: ({ attempt, reason, delayMs }) =>
      process.stderr.write(
        `t2vid ${command}: embeddings: retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s: ${escapeControl(reason)}\n`,
      ),
  });
}

/** The default embeddings cache folder: `.t2vid-cache/embeddings` in `dir`. */
export function embeddingCacheIn(dir: string): string {
  return path.join(dir, '.t2vid-cache', 'embeddings');
}
