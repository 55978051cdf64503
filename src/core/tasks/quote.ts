/**
 * The one place a value becomes shell text: sbatch scripts and remote command lines. Everything else runs as an
 * argument array with no shell. POSIX single quotes: nothing inside them is special, and a single quote is written
 * as '\'' (close, escaped quote, reopen).
 */

/** A word for a POSIX shell that stands for exactly `arg`. */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) {
    throw new Error('an argument cannot hold a NUL character');
  }
  // Words of only these characters mean themselves to the shell (a leading dash matters to the program, not the shell).
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) {
    return arg;
  }
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line for a POSIX shell that runs `argv` exactly. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** `NAME=value` assignments for a shell (names checked: a name is never quoted, so it must be a plain one). */
export function shellEnv(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`${JSON.stringify(name)} is not an environment variable name`);
    }
    return `${name}=${shellQuote(value)}`;
  });
}
