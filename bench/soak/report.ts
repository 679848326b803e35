/**
 * A soak on paper: one line per slice on stdout, and at the end the summary as JSON and Markdown
 * (`results/soak-latest.{json,md}`, and a timestamped JSON beside the bench's).
 */
import { writeFileSync } from 'node:fs';
import { runtimeLabel, type ChildRuntime } from '../lib/compiled.js';
import { RESULTS_DIR } from '../report/results.js';
import type { SoakOptions } from './options.js';
import type { Sample } from './sampler.js';
import { MIN_SLOPE_MINUTES, type SoakSummary } from './verdict.js';

/** Everything a soak produced. */
export interface SoakResults {
  startedAt: string;
  finishedAt: string;
  /** `runtime`: how the processes ran the project (see `lib/compiled.ts`); absent in soaks before it was recorded (tsx). */
  machine: { cpus: number; node: string; runtime?: ChildRuntime };
  options: SoakOptions;
  /** Time to connect the agents, ms. */
  connectMs: number;
  store: string;
  summary: SoakSummary;
  samples: Sample[];
}

const n = (x: number) => x.toLocaleString('en-US');
const pad = (text: string | number, width: number) => String(text).padStart(width);
const mmss = (s: number) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`;

/** One slice as a line of the running log. */
export function sampleLine(s: Sample): string {
  const e = s.errors;
  const errors = e.failedCreates + e.disconnects + e.agentErrors;
  return (
    `${pad(mmss(s.atS), 6)}  sent ${pad(n(s.sent), 7)} created ${pad(n(s.created), 7)} accepted ${pad(n(s.accepted), 7)} completed ${pad(n(s.completed), 7)}` +
    ` | offer p50 ${pad(s.offerP50, 8)} p99 ${pad(s.offerP99, 8)} ms` +
    ` | hub RSS ${pad(Math.round(s.rssMiB), 5)} MiB heap ${pad(Math.round(s.heapUsedMiB), 5)} MiB ELD p99 ${pad(s.eldP99, 7)} max ${pad(s.eldMax, 7)} ms GC ${pad(s.gcPercent, 4)}% max ${pad(s.gcMaxMs, 6)} ms CPU ${pad(Math.round(s.cpuPercent), 3)}%${s.mainThreadCpuPercent !== undefined ? ` (main ${pad(Math.round(s.mainThreadCpuPercent), 3)}%)` : ''} commits ${pad(Math.round(s.commitBlockedPercent), 2)}% p99 ${pad(Math.round(s.commitP99), 4)} ms, durable p99 ${pad(Math.round(s.durableP99), 4)} max ${pad(Math.round(s.durableMax), 4)} ms` +
    ` | errors ${errors} (creates ${e.failedCreates}, 5xx ${e.serverErrors}, disconnects ${e.disconnects}, agents ${e.agentErrors}; hub cut ${e.hubClientErrors ?? 0})` +
    ` | backlog ${n(s.backlog)} (${n(s.pendingCreates)} creating) | fleets ELD p99 ${s.fleetEldP99} max ${s.fleetEldMax} ms | load ${s.loadAverage.toFixed(2)}`
  );
}

const opt = (x: number | undefined, unit: string) => (x === undefined ? 'n/a' : `${x} ${unit}`);

/** The summary as Markdown: the run's shape, the verdict, the figures, every slice. */
export function renderSoak(r: SoakResults): string {
  const s = r.summary;
  const o = r.options;
  const started = r.startedAt.replace('T', ' ').slice(0, 16);
  const lines = [
    `Soak of ${started} UTC: ${n(o.rate)} tasks/s over ${n(o.agents)} agents${o.agentsPerFleet ? ` (${n(o.agentsPerFleet)} per generator process)` : ''} for ${o.minutes} min (${s.measuredSamples} slices of ${o.everyS} s measured after a ${o.warmupMinutes}-minute warm-up), ` +
      `${r.store}, Node ${r.machine.node}${runtimeLabel(r.machine.runtime)}, ${r.machine.cpus} cores, load average ${s.loadAverage.start} at the start (mean ${s.loadAverage.mean}, max ${s.loadAverage.max}).`,
    '',
    s.failures.length === 0 ? '**Passed.**' : `**Failed:**\n\n${s.failures.map((f) => `- ${f}`).join('\n')}`,
    '',
    '| Figure | Value |',
    '| --- | --- |',
    `| RSS slope (least squares after warm-up) | ${opt(s.rss.slopeMiBPerHour, 'MiB/h')} (${s.rss.judged === false ? `not judged: fewer than ${MIN_SLOPE_MINUTES} minutes measured` : `bound ${o.rssBoundMiBPerHour}`}), second half ${opt(s.rss.secondHalfSlopeMiBPerHour, 'MiB/h')}; ${s.rss.firstMiB} -> ${s.rss.lastMiB} MiB, max ${s.rss.maxMiB} |`,
    `| Heap slope | ${opt(s.heap.slopeMiBPerHour, 'MiB/h')}; ${s.heap.firstMiB} -> ${s.heap.lastMiB} MiB |`,
    `| Hub event-loop delay p99 / max over the run | ${s.hub ? `${s.hub.eldP99} / ${s.hub.eldMax} ms` : 'n/a'} (worst slice p99 ${s.worstSliceEldP99} ms) |`,
    `| Hub CPU over the run | ${s.hub ? `${s.hub.cpuPercent}%` : 'n/a'} |`,
    `| Offer latency p50 / p99 / p99.9 / max | ${s.offer.p50} / ${s.offer.p99} / ${s.offer.p999} / ${s.offer.max} ms (n=${n(s.offer.count)}) |`,
    `| Tasks sent / created / accepted / completed | ${n(s.tasks.sent)} / ${n(s.tasks.created)} / ${n(s.tasks.accepted)} / ${n(s.tasks.completed)}; ${n(s.tasks.acceptedPerSecond)} accepted/s after warm-up |`,
    `| Errors | ${s.errors.total}: ${s.errors.failedCreates} failed creates (${s.errors.serverErrors} 5xx), ${s.errors.disconnects} socket disconnects, ${s.errors.agentErrors} agent errors; ${s.errors.hubClientErrors} connections the hub answered (408, 400, 413, 431) and closed before a request |`,
    `| Backlog (sent - accepted) | ${s.backlog.bounded ? 'bounded' : 'grew without bound'}: last ${n(s.backlog.last)} (${n(s.backlog.lastCreating)} of them not yet created), max ${n(s.backlog.max)}, slope ${opt(s.backlog.slopePerSecond, 'tasks/s')} |`,
    `| Generators | fleet event-loop delay p99 up to ${s.generators.fleetEldP99Max} ms, source lateness p99 ${s.generators.sourceLatenessP99} ms |`,
    '',
    ...(s.warnings.length > 0 ? ['Warnings:', '', ...s.warnings.map((w) => `- ${w}`), ''] : []),
    '| Time | Sent | Created | Accepted | Completed | Offer p50 / p99 (ms) | RSS / heap (MiB) | ELD p99 / max (ms) | GC, longest pause (ms) | CPU (main thread) | In commits (p99 ms) | Durable p99 / max (ms) | Errors | Backlog (creating) | Load |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.samples.map((x) => {
      const e = x.errors.failedCreates + x.errors.disconnects + x.errors.agentErrors;
      return `| ${mmss(x.atS)} | ${n(x.sent)} | ${n(x.created)} | ${n(x.accepted)} | ${n(x.completed)} | ${x.offerP50} / ${x.offerP99} | ${Math.round(x.rssMiB)} / ${Math.round(x.heapUsedMiB)} | ${x.eldP99} / ${x.eldMax} | ${x.gcPercent}%, ${x.gcMaxMs} | ${Math.round(x.cpuPercent)}%${x.mainThreadCpuPercent !== undefined ? ` (main ${Math.round(x.mainThreadCpuPercent)}%)` : ''} | ${Math.round(x.commitBlockedPercent)}% (${Math.round(x.commitP99)}) | ${Math.round(x.durableP99)} / ${Math.round(x.durableMax)} | ${e} | ${n(x.backlog)} (${n(x.pendingCreates)}) | ${x.loadAverage} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

/** Writes `soak-latest.{json,md}` and `<timestamp>-soak.json`; resolves with the Markdown's path. */
export function writeSoak(r: SoakResults): string {
  const json = JSON.stringify(r, null, 2) + '\n';
  writeFileSync(`${RESULTS_DIR}${r.startedAt.replace(/[:.]/g, '-')}-soak.json`, json);
  writeFileSync(`${RESULTS_DIR}soak-latest.json`, json);
  writeFileSync(`${RESULTS_DIR}soak-latest.md`, renderSoak(r));
  return `${RESULTS_DIR}soak-latest.md`;
}
