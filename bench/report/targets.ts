/**
 * The targets for this 2-core machine, checked against the results: each says met, missed
 * or not measured, with the measured value next to the bound.
 */
import { memoryPoints, phaseOf, type BenchResults } from './results.js';

/** One target's verdict. */
export interface Verdict {
  target: string;
  /** undefined when the figure was not measured in this mode. */
  met: boolean | undefined;
  measured: string;
}

/** The largest phase at or below `agents` that ran (quick mode has only small phases). */
function nearest(results: BenchResults, agents: number): number | undefined {
  const sizes = results.phases.filter((p) => p.system === 'hub').map((p) => p.agents).filter((n) => n <= agents);
  return sizes.length > 0 ? Math.max(...sizes) : undefined;
}

/** Checks every target; those that say "durable" count only when the hub ran the product's SQLite store. */
export function checkTargets(results: BenchResults): Verdict[] {
  const out: Verdict[] = [];
  const durable = results.phases.filter((p) => p.system === 'hub').every((p) => p.facts['store'] === 'SqliteStore');
  const durably = (v: Verdict): Verdict => (durable ? v : { ...v, met: undefined, measured: `${v.measured} (not the durable store: ${String(results.phases.find((p) => p.system === 'hub')?.facts['store'])})` });
  const at10k = nearest(results, 10000);
  const note = (n: number | undefined) => (n !== undefined && n !== 10000 ? ` (at ${n} agents, not 10k)` : '');
  const hub = at10k === undefined ? undefined : phaseOf(results, 'hub', at10k);
  const raw = at10k === undefined ? undefined : phaseOf(results, 'raw', at10k);

  const offer = hub?.latency?.offer;
  out.push(durably({
    target: 'Offer latency p50 <= 2 ms, p99 <= 10 ms at 1,000 tasks/s, 10k workers, durable',
    met: offer ? offer.p50 <= 2 && offer.p99 <= 10 && hub?.latency?.valid === true : undefined,
    measured: offer ? `p50 ${offer.p50} ms, p99 ${offer.p99} ms${note(at10k)}` : 'not measured',
  }));
  const rawP99 = raw?.latency?.offer.p99;
  out.push({
    target: "Offer p99 within 4x of baseline 1's p99 at the same load",
    met: offer && rawP99 ? offer.p99 <= 4 * rawP99 : undefined,
    measured: offer && rawP99 ? `${(offer.p99 / rawP99).toFixed(2)}x (${offer.p99} vs ${rawP99} ms)` : 'not measured',
  });
  const sats = results.phases.filter((p) => p.system === 'hub' && p.saturation).map((p) => p.saturation!);
  const best = sats.sort((a, b) => b.tasksPerSecond - a.tasksPerSecond)[0];
  out.push(durably({
    target: '>= 5,000 tasks/s routed, persisted, pushed and accepted with p99 <= 50 ms',
    met: best ? best.tasksPerSecond >= 5000 : undefined,
    measured: best ? `${best.tasksPerSecond}/s (stopped by: ${best.stoppedBy})` : 'not measured',
  }));
  const bullSat = results.phases.filter((p) => p.system === 'bull' && p.saturation).map((p) => p.saturation!.tasksPerSecond);
  const bullBest = bullSat.length > 0 ? Math.max(...bullSat) : undefined;
  out.push({
    target: ">= 10x baseline 2's throughput at equal or better p99",
    met: best && bullBest !== undefined ? best.tasksPerSecond >= 10 * Math.max(1, bullBest) : undefined,
    measured: best && bullBest !== undefined ? `${best.tasksPerSecond} vs ${bullBest} tasks/s (${(best.tasksPerSecond / Math.max(1, bullBest)).toFixed(1)}x)` : 'not measured',
  });
  const rest = results.phases.find((p) => p.system === 'hub' && p.rest)?.rest;
  out.push(durably({
    target: 'REST POST /Tasks >= 8,000 req/s durable',
    met: rest ? rest.perSecond >= 8000 && rest.failed === 0 : undefined,
    measured: rest ? `${rest.perSecond}/s` : 'not measured',
  }));
  const multi = hub?.rescind;
  out.push({
    target: 'MaxReservedWorkers 50 at 100 tasks/s, 10k workers: offer p99 <= 15 ms, all 49 rescinds p99 <= 15 ms',
    met: multi?.rescind ? multi.offer.p99 <= 15 && multi.rescind.p99 <= 15 && multi.valid : undefined,
    measured: multi?.rescind ? `offer p99 ${multi.offer.p99} ms, rescind p99 ${multi.rescind.p99} ms${note(at10k)}` : 'not measured',
  });
  const mem = memoryPoints(results, 'hub').sort((a, b) => b.agents - a.agents)[0];
  // Fixed costs dominate a small N, so only a point near 19,000 says anything about the target.
  out.push({
    target: '<= 16 KiB of hub memory per idle connected worker at 19,000 workers',
    met: mem && mem.agents >= 19000 ? mem.perAgentKiB <= 16 : undefined,
    measured: mem ? `${mem.perAgentKiB} KiB at ${mem.agents} workers${mem.agents < 19000 ? ' (run the full mode for 19,000)' : ''}` : 'not measured',
  });
  return out;
}

/** The verdicts as a Markdown table. */
export function renderTargets(verdicts: Verdict[]): string {
  const lines = ['| Target | Measured | Met |', '| --- | --- | --- |'];
  for (const v of verdicts) lines.push(`| ${v.target} | ${v.measured} | ${v.met === undefined ? '—' : v.met ? 'yes' : 'NO'} |`);
  return lines.join('\n');
}
