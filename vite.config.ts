/**
 * Two builds of the browser side, both into `dist/client/`:
 * - `vite build`: the Worker SDK in library mode, `switchboard.js` (ES, for npm) and
 *   `switchboard.iife.js` (global `Switchboard`, for a script tag);
 * - `vite build --mode pages`: the demo pages (`/` dashboard, `/agent.html` softphone) into
 *   `dist/client/pages/`; they load the SDK's IIFE by script tag, so that path is always exercised.
 * Vitest reads this file too: unit tests are `*.test.ts`; `e2e/` belongs to Playwright.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const exclude = ['**/node_modules/**', 'dist/**', 'e2e/**'];
/**
 * Tests whose verdict compares latencies measured on this machine (a p99 beside hostile input, a
 * commit beside a long purge, a slow client's neighbours): they run one at a time after the rest,
 * so another test file's load on the two cores does not decide them.
 */
const timed = ['server/reliability/fuzz.test.ts', 'server/http/slow-clients.test.ts', 'server/reliability/chaos/mass-reconnect.test.ts', 'server/store/sqlite-store.test.ts'];
const test = {
  projects: [
    { test: { name: 'parallel', include: ['**/*.test.ts'], exclude: [...exclude, ...timed], sequence: { groupOrder: 0 } } },
    { test: { name: 'timed', include: timed, exclude, fileParallelism: false, sequence: { groupOrder: 1 } } },
  ],
};

export default defineConfig(({ mode }) => {
  if (mode === 'pages') {
    return {
      root: here('./client/pages'),
      base: '/',
      publicDir: false,
      build: {
        outDir: here('./dist/client/pages'),
        emptyOutDir: true,
        target: 'es2022',
        rollupOptions: {
          input: { index: here('./client/pages/index.html'), agent: here('./client/pages/agent.html') },
        },
      },
    };
  }
  return {
    publicDir: false,
    test,
    build: {
      outDir: here('./dist/client'),
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      lib: {
        entry: here('./client/sdk/index.ts'),
        name: 'Switchboard',
        formats: ['es', 'iife'],
        fileName: (format) => (format === 'es' ? 'switchboard.js' : 'switchboard.iife.js'),
      },
    },
  };
});
