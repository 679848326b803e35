/**
 * The hub of `server/main.ts`, started in two steps so a restart after a kill costs recovery, not
 * module loading: this process loads every module (the SQLite adapter included), logs `warm`, and
 * once a line arrives on stdin runs `runHub` from the environment exactly as `main.ts` does.
 */
import { exitWith, runHub } from '../main.js';

await import('../store/sqlite-store.js');
console.log(JSON.stringify({ msg: 'warm' }));
process.stdin.once('data', () => {
  process.stdin.pause();
  runHub().then(exitWith, (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
});
