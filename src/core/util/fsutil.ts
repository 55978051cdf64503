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

/**
 * Linux file systems whose writes land in this machine's page cache (statfs f_type): ext2/3/4, XFS, Btrfs, tmpfs,
 * F2FS, overlayfs (containers), ZFS. Network and cluster file systems (NFS, Lustre, GPFS, CephFS, CIFS, FUSE) are
 * not on the list: a write there can wait on a server.
 */
const LOCAL_FILE_SYSTEMS = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0xf2f52010, 0x794c7630, 0x2fc12fc1]);

/**
 * True if `dir` is on a local disk (or in memory), where writing a small file synchronously costs less than a trip
 * through libuv's thread pool (measured on ext4: 0.03–0.06 ms of CPU against 0.13–0.3 ms for the open, write,
 * close and rename of an asynchronous atomic write). False where unsure: other platforms, network file systems.
 */
export function isLocalFileSystem(dir: string): boolean {
  if (process.platform !== 'linux') {
    return false;
  }
  try {
    return LOCAL_FILE_SYSTEMS.has(fs.statfsSync(dir).type >>> 0);
  } catch {
    return false;
  }
}

let syncTemps = 0;

/** writeFileAtomic, synchronously: for small files on a local file system (isLocalFileSystem), in a hot loop. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  // Unique within this process; a killed process's leftover is another pid's name (and removed with its folder).
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${syncTemps++}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
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
      // A string write may be short without an error on a nearly full disk: write its bytes in the loop below.
      data = Buffer.from(data);
    }
    for (let done = 0; done < data.length;) {
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

/**
 * Write errors after which no further write can succeed: a full disk (ENOSPC), an exhausted quota (EDQUOT), a
 * file system gone read-only (EROFS), too large a file (EFBIG), an I/O error (EIO). A run stops cleanly on them.
 */
export const FATAL_WRITE_CODES = ['ENOSPC', 'EDQUOT', 'EROFS', 'EFBIG', 'EIO'] as const;

export function isFatalWriteError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && (FATAL_WRITE_CODES as readonly string[]).includes(code);
}

/** What a fatal write error means to the person running the tool, e.g. "no space left on device (ENOSPC)". */
export function describeWriteError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const what: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'read-only file system',
    EFBIG: 'file too large',
    EIO: 'input/output error',
  };
  return what[code] ? `${what[code]} (${code})` : ((e as Error).message ?? String(e));
}

/** An output that is one of the inputs (same file, through a symlink or a hard link too): refused before any work. */
export class OutputIsInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputIsInputError';
  }
}

/**
 * Throws OutputIsInputError if `out` (a file the run writes; it need not exist yet) is one of `inputs`: the same
 * device and inode (so a symlink or a hard link to an input is caught), or the same real path.
 */
export async function assertOutputNotInput(out: string, inputs: readonly string[], flag = '--out'): Promise<void> {
  const outStat = await fs.promises.stat(out).catch(() => undefined);
  const outReal = await realPathOf(out);
  for (const input of inputs) {
    const st = await fs.promises.stat(input).catch(() => undefined);
    const same =
      (outStat && st && outStat.dev === st.dev && outStat.ino === st.ino) ||
      (outReal !== undefined && outReal === (await realPathOf(input)));
    if (same) {
      throw new OutputIsInputError(
        `${flag} ${out} is the input ${input}${path.resolve(out) === path.resolve(input) ? '' : ' (the same file through a link)'}: writing it would overwrite or append to the input; choose another output`,
      );
    }
  }
}

/** The real path of `file`, or of its folder joined with its name when the file does not exist yet. */
async function realPathOf(file: string): Promise<string | undefined> {
  try {
    return await fs.promises.realpath(file);
  } catch {
    try {
      return path.join(await fs.promises.realpath(path.dirname(path.resolve(file))), path.basename(file));
    } catch {
      return undefined;
    }
  }
}
