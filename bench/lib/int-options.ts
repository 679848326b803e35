/**
 * A bench's `--name N` options, each a positive integer, over its defaults; any other argument is an
 * error that names it.
 */
export function intOptions<T extends { [K in keyof T]: number }>(defaults: T, args: readonly string[] = process.argv.slice(2)): T {
  const options: Record<string, number> = { ...defaults };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '') ?? '';
    const value = Number(args[i + 1]);
    if (Object.hasOwn(defaults, key) && Number.isInteger(value) && value > 0) options[key] = value;
    else throw new Error(`Unknown option ${args[i]} ${args[i + 1] ?? ''}`);
  }
  return options as T;
}
