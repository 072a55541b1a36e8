/** Command-line plumbing the benches share: number checks, and --help / bad-option handling. */

/** A whole number >= min, or an error naming the option. */
export function wholeNumber(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be a whole number >= ${min}, got "${v}"`);
  return n;
}

/**
 * Parses the arguments with `parse` (which returns 'help' for --help): prints the usage and
 * returns the exit code (0 for --help, 2 for a bad option) when the bench should not run, else
 * the options.
 */
export function parseOrExit<T>(
  parse: (argv: string[]) => T | 'help',
  usage: string,
  argv: string[] = process.argv.slice(2),
): T | number {
  let opts: T | 'help';
  try {
    opts = parse(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return opts;
}
