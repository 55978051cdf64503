/**
 * The LLM generator's on-disk cache, keyed by sha256(prompt version, endpoint base URL, model, N, frame ranges, text):
 * a re-run costs nothing, and another server that serves a different model under the same name (`default`,
 * `local`) never gets the first server's answers. An entry is re-checked against the reply schema when read; an unreadable or invalid one is a miss.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Range } from '../segment';
import { writeFileAtomic } from '../util/fsutil';
import { LLM_PROMPT_VERSION } from './llmPrompts';
import { validateReply, type RawPair } from './llmReply';

export interface CacheEntry {
  key: string;
  promptVersion: string;
  baseURL: string;
  model: string;
  perDoc: number;
  frameCount: number;
  createdAt: string;
  pairs: RawPair[];
}

/** The endpoint as the cache knows it: trailing slashes and letter case of scheme and host do not matter. */
export function endpointKey(baseURL: string): string {
  try {
    const url = new URL(baseURL);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return baseURL.trim().replace(/\/+$/, '');
  }
}

export function cacheKey(doc: { context: string; frames: Range[] }, model: string, perDoc: number, baseURL: string): string {
  return createHash('sha256')
    .update(JSON.stringify([LLM_PROMPT_VERSION, endpointKey(baseURL), model, perDoc, doc.frames]))
    .update('\0')
    .update(doc.context)
    .digest('hex');
}

export class LlmCache {
  /** `dir` undefined: no cache (every lookup misses, nothing is written). */
  constructor(private readonly dir: string | undefined) {}

  async read(key: string, frameCount: number): Promise<CacheEntry | undefined> {
    if (!this.dir) {
      return undefined;
    }
    try {
      const entry = JSON.parse(await fs.promises.readFile(path.join(this.dir, `${key}.json`), 'utf8')) as CacheEntry;
      if (entry.key !== key || !Array.isArray(entry.pairs)) {
        return undefined;
      }
      const check = validateReply(JSON.stringify({ pairs: entry.pairs }), frameCount);
      return 'pairs' in check ? { ...entry, pairs: check.pairs } : undefined;
    } catch {
      return undefined;
    }
  }

  async write(entry: CacheEntry): Promise<void> {
    if (!this.dir) {
      return;
    }
    await fs.promises.mkdir(this.dir, { recursive: true });
    await writeFileAtomic(path.join(this.dir, `${entry.key}.json`), JSON.stringify(entry, null, 1) + '\n');
  }
}
