/**
 * The bench's processes (the hub, the baselines, the generators) run as JavaScript compiled by
 * `tsc`, the compiler and target `npm run build` ships the hub with (`dist/`), not through tsx.
 * tsx's transform keeps function names by passing every named function and closure it creates
 * through a helper that defines its `name` (esbuild's `keepNames`), a cost the shipped hub does
 * not pay: compiling a 30,000-term expression took 91-147 ms under tsx against 56-99 ms compiled.
 * The whole project (server, shared, client SDK, bench) goes to `dist/bench-js/`, incrementally,
 * so a run after a small change recompiles in seconds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchRuntime } from './ipc.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Where the compiled project goes (inside the repository, so its imports find `node_modules`). */
export const COMPILED_DIR = join(REPO, 'dist', 'bench-js');

/** Compiles the project into `COMPILED_DIR` and returns it; throws with what tsc said when it fails. */
export function compileForBench(): string {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const flags = ['--noEmit', 'false', '--outDir', COMPILED_DIR, '--declaration', 'false', '--sourceMap', 'false'];
  const incremental = ['--incremental', '--tsBuildInfoFile', join(COMPILED_DIR, '.tsbuildinfo')];
  const out = spawnSync(process.execPath, [tsc, '-p', join(REPO, 'tsconfig.json'), ...flags, ...incremental], { cwd: REPO, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`tsc could not compile the project for the bench (fix it, or run the sources with --tsx):\n${out.stdout}${out.stderr}`);
  const hub = join(COMPILED_DIR, 'bench', 'hub', 'hub-process.js');
  if (!existsSync(hub)) throw new Error(`tsc reported success but wrote no ${hub}`);
  return COMPILED_DIR;
}

/** How a run's processes ran the project: compiled by tsc (as shipped), or from the sources through tsx. */
export type ChildRuntime = 'tsc' | 'tsx';

/** How a report says which way its run's processes ran (nothing for runs before it was recorded). */
export function runtimeLabel(runtime: ChildRuntime | undefined): string {
  if (runtime === 'tsc') return ' (the project compiled by tsc)';
  return runtime === 'tsx' ? ' (the sources through tsx)' : '';
}

/**
 * Sets how the processes a run starts will run the project: compiled (the default, compiling it
 * now and saying so) or, with `tsx` set, from the sources.
 */
export function compileChildren(tsx: boolean): ChildRuntime {
  if (tsx) {
    console.log('Processes run the TypeScript sources through tsx (--tsx): slower than the hub as shipped.');
    return 'tsx';
  }
  const started = performance.now();
  benchRuntime.compiled = compileForBench();
  console.log(`Compiled the project with tsc in ${((performance.now() - started) / 1000).toFixed(1)} s: the processes run it as the hub ships (--tsx runs the sources).`);
  return 'tsc';
}
