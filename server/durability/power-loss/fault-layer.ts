import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The exit code of a hub process whose power the fault layer cut. */
export const POWER_CUT_EXIT_CODE = 86;

/** The C source of the fault layer. */
const SOURCE = fileURLToPath(new URL('./unsynced.c', import.meta.url));

/**
 * Compiles the fault layer (`unsynced.c`) into `dir` with the system C compiler and returns the
 * shared library's path. A missing compiler is an error that says so: the test must not pass
 * without the layer.
 */
export function buildFaultLayer(dir: string): string {
  const library = join(dir, 'unsynced.so');
  const compiler = process.env['CC'] ?? 'cc';
  try {
    execFileSync(compiler, ['-shared', '-fPIC', '-O2', '-Wall', '-o', library, SOURCE, '-ldl'], { stdio: 'pipe' });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') {
      throw new Error(`The power-loss test needs a C compiler to build its fault layer, and "${compiler}" was not found. Install one (e.g. apt-get install gcc) or set CC.`);
    }
    throw new Error(`Compiling ${SOURCE} failed: ${e.stderr?.toString() ?? e.message}`);
  }
  return library;
}

/**
 * The environment that runs a hub on `dataDir` under the fault layer. Its writes there are
 * followed from the start; `SIGUSR2` arms the cut, which comes at the `cutAfter`-th write,
 * truncate or sync after it (never when `cutAfter` is undefined).
 */
export function faultEnv(library: string, dataDir: string, cutAfter?: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LD_PRELOAD: library, POWER_CUT_DIR: dataDir };
  if (cutAfter !== undefined) env['POWER_CUT_AFTER'] = String(cutAfter);
  return env;
}
