import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditWorkspace, type AuditResult } from './audit.js';
import { addWorkers, createCrashWorkspace } from './crash-workspace.js';
import { HubProcess } from './hub-process.js';
import { Ledger } from './ledger.js';
import { driveLoad, type LoadOptions } from './load.js';
import { RestClient } from './rest-client.js';

/** Rounds of load, SIGKILL and restart (`CRASH_ROUNDS` to change). */
const ROUNDS = Number(process.env['CRASH_ROUNDS'] ?? 20);
/** Each round's kill lands at a random moment this long after its load starts. */
const KILL_WINDOW_MS: [number, number] = [100, 1_500];
const LOAD: LoadOptions = { creators: 4, acceptors: 6, acceptRatio: 0.5, newWorkers: 6 };
const ACCOUNT = `AC${'c'.repeat(32)}`;
const TOKEN = 'crash-test-auth-token-0123456789';

const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-crash-'));
let hub: HubProcess | undefined;
afterAll(async () => {
  await hub?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function startHub(): Promise<RestClient> {
  hub = await HubProcess.start({ dataDir, accountSid: ACCOUNT, authToken: TOKEN });
  return new RestClient(hub.url, ACCOUNT, TOKEN);
}

function line(round: string, stop: string, ledger: Ledger, before: { tasks: number; accepts: number }, audit: AuditResult): string {
  const verdict = audit.violations.length === 0 ? 'ok' : `${audit.violations.length} VIOLATIONS`;
  return (
    `${round.padEnd(9)} ${stop.padEnd(22)} tasks +${String(ledger.tasks.size - before.tasks).padEnd(4)} = ${String(ledger.tasks.size).padEnd(6)}` +
    ` accepts +${String(ledger.accepts.size - before.accepts).padEnd(3)} = ${String(ledger.accepts.size).padEnd(5)}` +
    ` | audit: ${audit.tasks} tasks, ${audit.workers} workers, ${audit.reservations} reservations (${audit.pending} pending, ${audit.accepted} accepted): ${verdict}`
  );
}

describe('crash test: the real hub under load, SIGKILLed and restarted on the same data', () => {
  it(`loses no acknowledged change over ${ROUNDS} kills, then a graceful stop`, async () => {
    const ledger = new Ledger();
    let client = await startHub();
    const cw = await createCrashWorkspace(client);
    await addWorkers(client, cw, ledger, 6);
    const report: string[] = [];
    const violations: string[] = [];

    for (let round = 1; round <= ROUNDS + 1; round += 1) {
      const graceful = round > ROUNDS;
      const before = { tasks: ledger.tasks.size, accepts: ledger.accepts.size };
      const load = { stopped: false };
      const driving = driveLoad(client, cw, ledger, load, LOAD);
      const after = KILL_WINDOW_MS[0] + Math.floor(Math.random() * (KILL_WINDOW_MS[1] - KILL_WINDOW_MS[0]));
      // The random moment is the point of the test, so this one wait is a fixed time by design.
      await new Promise((resolve) => setTimeout(resolve, after));
      const exit = await hub!.stop(graceful ? 'SIGTERM' : 'SIGKILL');
      load.stopped = true;
      await driving;
      if (graceful) expect(exit, hub!.output()).toEqual({ code: 0, signal: null });
      else expect(exit.signal).toBe('SIGKILL');

      client = await startHub();
      const audit = await auditWorkspace(client, cw, ledger);
      violations.push(...audit.violations.map((v) => `round ${round}: ${v}`));
      const row = line(graceful ? 'final' : `round ${round}`, `${graceful ? 'SIGTERM' : 'SIGKILL'} after ${after} ms`, ledger, before, audit);
      report.push(row);
      console.log(row);
    }
    await hub!.stop('SIGTERM');

    const summary = [
      `crash test: ${ROUNDS} SIGKILL rounds + 1 SIGTERM; ${ledger.tasks.size} tasks and ${ledger.workers.size} workers acknowledged (201),`,
      `${ledger.accepts.size} accepts acknowledged (200), ${ledger.gone} late accepts refused (410), ${ledger.unanswered} requests cut off by a kill;`,
      `audit: ${violations.length === 0 ? 'every round clean' : `${violations.length} violations`}; unexpected replies: ${ledger.unexpected.length}`,
    ];
    console.log(summary.join('\n'));
    expect(violations).toEqual([]);
    expect(ledger.unexpected).toEqual([]);
    // The run must have exercised what it audits.
    expect(ledger.tasks.size).toBeGreaterThan(ROUNDS * 10);
    expect(ledger.accepts.size).toBeGreaterThan(ROUNDS);
  }, 600_000);
});
