import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditWorkspace, type AuditResult } from './audit.js';
import { addWorkers, createCrashWorkspace } from './crash-workspace.js';
import { HubProcess, type HubProcessOptions, type WarmHub } from './hub-process.js';
import { Ledger } from './ledger.js';
import { driveLoad, type LoadOptions } from './load.js';
import { RestClient } from './rest-client.js';
import { settleTimers } from './settle-timers.js';

/** Rounds of load, SIGKILL and restart (`CRASH_ROUNDS` to change). */
const ROUNDS = Number(process.env['CRASH_ROUNDS'] ?? 20);
/** Each round's kill lands at a random moment this long after its load starts. */
const KILL_WINDOW_MS: [number, number] = [50, 1_000];
const LOAD: LoadOptions = { creators: 4, restAcceptors: 4, acceptRatio: 0.6, completeRatio: 0.7, newWorkers: 1 };
const ACCOUNT = `AC${'c'.repeat(32)}`;
const TOKEN = 'crash-test-auth-token-0123456789';

const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-crash-'));
const options: HubProcessOptions = { dataDir, accountSid: ACCOUNT, authToken: TOKEN };
let hub: HubProcess | undefined;
let warm: Promise<WarmHub> | undefined;
afterAll(async () => {
  await hub?.stop('SIGKILL');
  await (await warm?.catch(() => undefined))?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the hub loaded ahead of time and loads the next one, so a restart costs only recovery. */
async function restart(): Promise<RestClient> {
  const next = await (warm ?? HubProcess.prewarm(options));
  warm = HubProcess.prewarm(options);
  hub = await next.start();
  return new RestClient(hub.url, ACCOUNT, TOKEN);
}

function row(label: string, ledger: Ledger, before: { tasks: number; accepts: number }, left: number, audit: AuditResult, violations: number): string {
  const delta = (now: number, then: number) => `+${String(now - then).padEnd(4)}= ${String(now).padEnd(5)}`;
  return (
    `${label.padEnd(28)} tasks ${delta(ledger.tasks.size, before.tasks)} accepts ${delta(ledger.accepts.size, before.accepts)}` +
    `offers left pending ${String(left).padEnd(3)} ` +
    `| audit: ${audit.tasks} tasks, ${audit.workers} workers, ${audit.reservations} reservations (${audit.pending} pending, ${audit.won} won): ` +
    (violations === 0 ? 'ok' : `${violations} VIOLATIONS`)
  );
}

describe('crash test: the real hub under load, SIGKILLed and restarted on the same data', () => {
  it(`loses no acknowledged change over ${ROUNDS} kills, then a graceful stop`, async () => {
    const started = Date.now();
    const ledger = new Ledger();
    let client = await restart();
    const cw = await createCrashWorkspace(client);
    await addWorkers(client, cw, ledger, 5, 'rest');
    await addWorkers(client, cw, ledger, 6, 'socket');
    const violations: string[] = [];

    for (let round = 1; round <= ROUNDS + 1; round += 1) {
      const graceful = round > ROUNDS;
      const before = { tasks: ledger.tasks.size, accepts: ledger.accepts.size };
      const stop = new AbortController();
      const target = { client, wsUrl: hub!.wsUrl, cw, ledger, credentials: { accountSid: ACCOUNT, authToken: TOKEN } };
      const driving = driveLoad(target, stop.signal, LOAD);
      const after = KILL_WINDOW_MS[0] + Math.floor(Math.random() * (KILL_WINDOW_MS[1] - KILL_WINDOW_MS[0]));
      // The random moment is the point of the test, so this one wait is a fixed time by design.
      await new Promise((resolve) => setTimeout(resolve, after));
      const exit = await hub!.stop(graceful ? 'SIGTERM' : 'SIGKILL');
      stop.abort();
      await driving;
      if (graceful) expect(exit, hub!.output()).toEqual({ code: 0, signal: null });
      else expect(exit.signal).toBe('SIGKILL');

      client = await restart();
      // The audit only reads, so it runs first and the wait for the deadlines overlaps it.
      const audit = await auditWorkspace(client, cw, ledger);
      const timers = await settleTimers(client, cw, [...ledger.workers.keys()]);
      const found = [...timers.violations, ...audit.violations];
      violations.push(...found.map((v) => `round ${round}: ${v}`));
      console.log(row(`${graceful ? 'final' : `round ${round}`}: ${graceful ? 'SIGTERM' : 'SIGKILL'} at ${after} ms`, ledger, before, timers.left, audit, found.length));
    }
    await hub!.stop('SIGTERM');

    const via = (t: 'rest' | 'socket') => [...ledger.accepts.values()].filter((a) => a.via === t).length;
    const completed = [...ledger.accepts.values()].filter((a) => a.completion === 'done').length;
    console.log(
      [
        `crash test: ${ROUNDS} SIGKILL rounds + 1 SIGTERM in ${((Date.now() - started) / 1_000).toFixed(1)} s;`,
        `acknowledged: ${ledger.tasks.size} tasks and ${ledger.workers.size} workers (201), ${ledger.accepts.size} accepts (${via('rest')} REST 200, ${via('socket')} socket ok), ${completed} completions;`,
        `${ledger.gone} late accepts refused (410), ${ledger.unanswered} requests cut off by a kill;`,
        `audit: ${violations.length === 0 ? 'every round clean' : `${violations.length} violations:\n  ${violations.slice(0, 20).join('\n  ')}`}; unexpected replies: ${ledger.unexpected.length}`,
      ].join('\n'),
    );
    expect(violations).toEqual([]);
    expect(ledger.unexpected).toEqual([]);
    // The run must have exercised what it audits, on both transports.
    expect(ledger.tasks.size).toBeGreaterThan(ROUNDS * 10);
    expect(via('rest')).toBeGreaterThan(ROUNDS / 2);
    expect(via('socket')).toBeGreaterThan(ROUNDS / 2);
    expect(completed).toBeGreaterThan(0);
  }, 180_000);
});
