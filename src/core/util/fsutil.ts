/** File helpers: atomic writes (temp file + rename) and an early check that the output folder is writable. */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Write a file so that readers only ever see the old or the whole new content. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempName(file);
  try {
    await fs.promises.writeFile(tmp, data);
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
}

/** A file written piece by piece to a temp name, renamed into place by commit(), removed by abort(). */
export class AtomicStream {
  private readonly tmp: string;
  private readonly handle: Promise<fs.promises.FileHandle>;

  constructor(readonly file: string) {
    // A fixed temp name: a killed run's partial file is replaced by the next run, not left behind.
    this.tmp = path.join(path.dirname(file), `.${path.basename(file)}.partial`);
    this.handle = fs.promises.open(this.tmp, 'w');
  }

  async write(data: string | Uint8Array): Promise<void> {
    const h = await this.handle;
    if (typeof data === 'string') {
      await h.write(data);
      return;
    }
    for (let done = 0; done < data.length; ) {
      done += (await h.write(data, done, data.length - done)).bytesWritten;
    }
  }

  async commit(): Promise<void> {
    const h = await this.handle;
    await h.sync();
    await h.close();
    await fs.promises.rename(this.tmp, this.file);
  }

  async abort(): Promise<void> {
    try {
      await (await this.handle).close();
    } catch {
      // already closed or never opened
    }
    await fs.promises.rm(this.tmp, { force: true });
  }
}

/** Create the folder and prove we can write into it, before any work starts. */
export async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await fs.promises.mkdir(dir, { recursive: true });
    const probe = path.join(dir, `.t2vid-write-test-${process.pid}`);
    await fs.promises.writeFile(probe, '');
    await fs.promises.rm(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new Error(`cannot write to the output folder ${dir}${code ? ` (${code})` : ''}: ${(e as Error).message}`);
  }
}
