/**
 * The bench tools' command line: `--name value` options and `--flag` switches, read from
 * process.argv. Deliberately loose (unknown arguments are ignored), as the tools always were.
 */
const argv = process.argv.slice(2);

/** The value after `--name`, or `fallback` when the option is absent or has no value. */
export function option(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? (argv[i + 1] as string) : fallback;
}

/** True when `--name` is given. */
export function flag(name: string): boolean {
  return argv.includes(`--${name}`);
}
