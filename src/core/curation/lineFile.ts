/**
 * A line-addressed view of a dataset file too large for VS Code to hand to an extension as a TextDocument (VS Code
 * syncs text files up to 50 MB): an index of where each line starts (built by scanning the bytes once), lines read
 * on demand, and edited lines kept in an overlay until saved. Saving streams the file to a temp file (untouched line
 * runs copied as bytes, each line keeping its own line break) and renames it into place, so a crash never leaves a
 * half-written dataset. The overlay serializes for VS Code's hot exit (backup) and restores from it.
 * Lines are 0-based; like a TextDocument, a file that ends with a line break has an empty last line.
 */
import * as fs from 'node:fs';
import { AtomicStream } from '../util/fsutil';

const CHUNK = 1 << 22;
const PEEK = 64;

export interface FileStamp {
  size: number;
  mtimeMs: number;
}

/** What a backup holds: the file it was made against and the edited lines. */
interface Backup {
  version: 1;
  file: string;
  stamp: FileStamp;
  lineCount: number;
  lines: Array<[number, string]>;
}

export class LineFile {
  private starts = new Float64Array(1024);
  private count = 0;
  private size = 0;
  private fd = -1;
  private readonly overlay = new Map<number, string>();
  private readonly peek = Buffer.allocUnsafe(PEEK);
  stamp: FileStamp = { size: 0, mtimeMs: 0 };

  private constructor(readonly file: string) {}

  /** Opens and indexes `file` (about a second per GB). */
  static async open(file: string, signal?: AbortSignal): Promise<LineFile> {
    const lines = new LineFile(file);
    await lines.index(signal);
    return lines;
  }

  private async index(signal?: AbortSignal): Promise<void> {
    const handle = await fs.promises.open(this.file, 'r');
    try {
      const st = await handle.stat();
      const buffer = Buffer.allocUnsafe(CHUNK);
      let starts = new Float64Array(1024);
      let count = 1; // line 0 starts at 0
      let position = 0;
      for (;;) {
        signal?.throwIfAborted();
        const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
        if (bytesRead === 0) {
          break;
        }
        for (let i = buffer.indexOf(10, 0); i !== -1 && i < bytesRead; i = buffer.indexOf(10, i + 1)) {
          if (count === starts.length) {
            const grown = new Float64Array(starts.length * 2);
            grown.set(starts);
            starts = grown;
          }
          starts[count++] = position + i + 1;
        }
        position += bytesRead;
      }
      this.starts = starts;
      this.count = count;
      this.size = position;
      this.stamp = { size: st.size, mtimeMs: st.mtimeMs };
    } finally {
      await handle.close();
    }
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
    }
    this.fd = fs.openSync(this.file, 'r');
  }

  get lineCount(): number {
    return this.count;
  }

  get bytes(): number {
    return this.size;
  }

  get dirty(): boolean {
    return this.overlay.size > 0;
  }

  /** The byte range of line `i` in the file up to its \n (a \r before it is in the range; lineText drops it). */
  private range(i: number): { start: number; end: number } {
    return { start: this.starts[i], end: i + 1 < this.count ? this.starts[i + 1] - 1 : this.size };
  }

  /** Whether the byte at `offset` is a \r (read only when saving an edited line, to keep its \r\n). */
  private isCarriageReturn(offset: number): boolean {
    const b = Buffer.alloc(1);
    fs.readSync(this.fd, b, 0, 1, offset);
    return b[0] === 13;
  }

  /** The text of line `i` as it is now (edited or from the file), without its line break. */
  lineText(i: number): string {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RangeError(`${this.file} has no line ${i + 1}`);
    }
    const edited = this.overlay.get(i);
    if (edited !== undefined) {
      return edited;
    }
    const { start, end } = this.range(i);
    const buffer = Buffer.allocUnsafe(end - start);
    for (let done = 0; done < buffer.length;) {
      const n = fs.readSync(this.fd, buffer, done, buffer.length - done, start + done);
      if (n === 0) {
        throw new Error(`${this.file} changed on disk while it was open (line ${i + 1} is cut short)`);
      }
      done += n;
    }
    const text = buffer.toString('utf8');
    return i + 1 < this.count && text.endsWith('\r') ? text.slice(0, -1) : text;
  }

  /**
   * True if line `i` holds only whitespace, reading at most its first 64 bytes when they settle it: telling the rows
   * of a 200 MB file from its blank lines then reads ~6 MB instead of the whole file.
   */
  isBlank(i: number): boolean {
    if (this.overlay.has(i) || !Number.isInteger(i) || i < 0 || i >= this.count) {
      return this.lineText(i).trim() === '';
    }
    const start = this.starts[i];
    const end = i + 1 < this.count ? this.starts[i + 1] - 1 : this.size;
    const n = Math.min(end - start, PEEK);
    if (n <= 0) {
      return true;
    }
    const n0 = fs.readSync(this.fd, this.peek, 0, n, start);
    for (let k = 0; k < n0; k++) {
      const b = this.peek[k];
      if (b >= 0x80) {
        break; // maybe a Unicode space: decide on the whole line
      }
      if (b !== 0x20 && (b < 0x09 || b > 0x0d)) {
        return false;
      }
    }
    return this.lineText(i).trim() === '';
  }

  /** Replaces line `i` (in memory until save). */
  setLine(i: number, text: string): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RangeError(`${this.file} has no line ${i + 1}`);
    }
    if (/[\r\n]/.test(text)) {
      throw new Error('a line cannot hold a line break');
    }
    this.overlay.set(i, text);
  }

  /**
   * Writes the file with its edits to `target` (default: the file itself) atomically. Saving to the file itself
   * re-indexes it and clears the edits.
   */
  async save(target = this.file, signal?: AbortSignal): Promise<void> {
    const out = new AtomicStream(target);
    try {
      const edited = [...this.overlay.keys()].sort((a, b) => a - b);
      let from = 0; // next byte of the original to copy
      const buffer = Buffer.allocUnsafe(CHUNK);
      const copy = async (end: number): Promise<void> => {
        while (from < end) {
          signal?.throwIfAborted();
          const n = fs.readSync(this.fd, buffer, 0, Math.min(CHUNK, end - from), from);
          if (n === 0) {
            throw new Error(`${this.file} changed on disk while it was open; not saved`);
          }
          await out.write(n === buffer.length ? buffer : buffer.subarray(0, n));
          from += n;
        }
      };
      for (const i of edited) {
        const { start, end } = this.range(i);
        await copy(start);
        await out.write(this.overlay.get(i) as string);
        // The line's own line break (\r\n or \n) is copied with the next run.
        from = i + 1 < this.count && end > start && this.isCarriageReturn(end - 1) ? end - 1 : end;
      }
      await copy(this.size);
      await out.commit();
    } catch (e) {
      await out.abort();
      throw e;
    }
    if (target === this.file) {
      this.overlay.clear();
      await this.index(signal);
    }
  }

  /** Drops the edits and re-reads the file. */
  async revert(): Promise<void> {
    this.overlay.clear();
    await this.index();
  }

  /** True if the file on disk is not the one indexed (another program wrote it). */
  async changedOnDisk(): Promise<boolean> {
    try {
      const st = await fs.promises.stat(this.file);
      return st.size !== this.stamp.size || st.mtimeMs !== this.stamp.mtimeMs;
    } catch {
      return true;
    }
  }

  /** The edits, for a hot-exit backup. */
  backup(): string {
    const data: Backup = { version: 1, file: this.file, stamp: this.stamp, lineCount: this.count, lines: [...this.overlay] };
    return JSON.stringify(data);
  }

  /**
   * Re-applies the edits of a backup made against this file. Returns false (and applies nothing) if the backup does
   * not fit the file as it is now (other line count, or not a backup).
   */
  restore(backup: string): boolean {
    let data: Backup;
    try {
      data = JSON.parse(backup) as Backup;
    } catch {
      return false;
    }
    if (data?.version !== 1 || data.lineCount !== this.count || !Array.isArray(data.lines)) {
      return false;
    }
    for (const [i, text] of data.lines) {
      if (Number.isInteger(i) && i >= 0 && i < this.count && typeof text === 'string' && !/[\r\n]/.test(text)) {
        this.overlay.set(i, text);
      }
    }
    return true;
  }

  close(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}
