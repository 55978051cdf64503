import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from '../../src/core/fonts';

/** ../shared/data beside the project checkout: real documents written by others. */
export function sharedData(...parts: string[]): string {
  const dir = path.join(packageRoot(), '..', 'shared', 'data', ...parts);
  if (!fs.existsSync(dir)) {
    throw new Error(`test data missing: ${dir} (the shared folder must sit beside the checkout)`);
  }
  return dir;
}

/** The L-Eval long documents (`input` field) from ../shared/data, in a stable order. */
export function levalDocuments(): Array<{ file: string; line: number; input: string; instructions: string[] }> {
  const dir = sharedData('long-text');
  const docs: Array<{ file: string; line: number; input: string; instructions: string[] }> = [];
  for (const name of fs.readdirSync(dir).sort()) {
    fs.readFileSync(path.join(dir, name), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim()) {
          const o = JSON.parse(line) as { input: string; instructions: string[] };
          docs.push({ file: path.join(dir, name), line: i + 1, input: o.input, instructions: o.instructions });
        }
      });
  }
  return docs;
}

export function tempDir(t: { after: (fn: () => void) => void }, prefix = 't2vid-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const repoRoot = (): string => packageRoot();

/** The Chinese part of the seed abstract: its lines that are mostly Han characters. */
export function chinesePart(text: string): string {
  return text
    .split('\n')
    .filter((line) => (line.match(/\p{Script=Han}/gu)?.length ?? 0) > line.length / 2)
    .join('\n')
    .trim();
}
