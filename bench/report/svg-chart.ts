/**
 * The results as an SVG chart: one panel per figure family (latency p50 and p99 on a log scale,
 * throughput, REST rate, memory per agent), one bar per system, hand-written SVG with no
 * dependency.
 */
import type { SystemName } from '../systems/system.js';
import { SYSTEM_LABELS } from '../systems/system.js';
import { memoryPoints, phaseOf, phaseSizes, type BenchResults } from './results.js';

const SYSTEMS: SystemName[] = ['hub', 'raw', 'bull'];
const COLORS: Record<SystemName, string> = { hub: '#2563eb', raw: '#9ca3af', bull: '#f97316' };

/** One group of bars: a label and a value per system (and a second, lighter value for p50). */
interface Group {
  label: string;
  values: Partial<Record<SystemName, number>>;
  inner?: Partial<Record<SystemName, number>>;
}

interface Panel {
  title: string;
  unit: string;
  log: boolean;
  groups: Group[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const num = (x: number) => (Number.isInteger(x) || x >= 100 ? String(Math.round(x)) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const k = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));

function panels(results: BenchResults): Panel[] {
  const latency: Group[] = [];
  for (const n of phaseSizes(results)) {
    const get = (key: 'latency' | 'rescind', pick: 'offer' | 'accept' | 'rescind', label: string) => {
      const values: Group['values'] = {};
      const inner: Group['values'] = {};
      for (const s of SYSTEMS) {
        const summary = phaseOf(results, s, n)?.[key]?.[pick];
        if (summary && summary.count > 0) {
          values[s] = summary.p99;
          inner[s] = summary.p50;
        }
      }
      if (Object.keys(values).length > 0) latency.push({ label: `${label} ${k(n)}`, values, inner });
    };
    get('latency', 'offer', 'offer');
    get('latency', 'accept', 'accept');
    get('rescind', 'offer', 'MRW50 offer');
    get('rescind', 'rescind', 'rescind');
  }
  const throughput: Group[] = [];
  const rest: Group[] = [];
  for (const n of phaseSizes(results)) {
    const sat: Group['values'] = {};
    const rr: Group['values'] = {};
    for (const s of SYSTEMS) {
      const p = phaseOf(results, s, n);
      if (p?.saturation) sat[s] = p.saturation.tasksPerSecond;
      if (p?.rest) rr[s] = p.rest.perSecond;
    }
    if (Object.keys(sat).length > 0) throughput.push({ label: `${k(n)} agents`, values: sat });
    if (Object.keys(rr).length > 0) rest.push({ label: `${k(n)} agents`, values: rr });
  }
  const memory: Group[] = [];
  const agents = [...new Set(SYSTEMS.flatMap((s) => memoryPoints(results, s).map((p) => p.agents)))].sort((a, b) => a - b);
  for (const n of agents) {
    const values: Group['values'] = {};
    for (const s of SYSTEMS) {
      const p = memoryPoints(results, s).find((x) => x.agents === n);
      if (p) values[s] = p.perAgentKiB;
    }
    memory.push({ label: `${k(n)} agents`, values });
  }
  return [
    { title: 'Latency: p99 (light bar) and p50 (dark bar), ms, log scale', unit: 'ms', log: true, groups: latency },
    { title: 'Throughput at saturation, accepted tasks/s (e2e p99 <= 50 ms)', unit: '/s', log: false, groups: throughput },
    { title: 'REST task creation, requests/s', unit: '/s', log: false, groups: rest },
    { title: 'Memory per idle connected agent, KiB', unit: 'KiB', log: false, groups: memory },
  ].filter((p) => p.groups.length > 0);
}

/** Renders the chart. */
export function renderSvg(results: BenchResults): string {
  const width = 980;
  const barH = 12;
  const labelW = 150;
  const plotW = width - labelW - 190;
  const out: string[] = [];
  let y = 40;
  out.push(`<text x="10" y="22" font-size="16" font-weight="bold">Switchboard bench (${results.mode}, ${results.startedAt.slice(0, 16)})</text>`);
  SYSTEMS.forEach((s, i) => {
    out.push(`<rect x="${420 + i * 160}" y="10" width="12" height="12" fill="${COLORS[s]}"/><text x="${436 + i * 160}" y="21" font-size="11">${esc(SYSTEM_LABELS[s].replace('Baseline ', 'B').replace('+socket.io', '+sio'))}</text>`);
  });
  for (const panel of panels(results)) {
    y += 20;
    out.push(`<text x="10" y="${y}" font-size="13" font-weight="bold">${esc(panel.title)}</text>`);
    y += 10;
    const all = panel.groups.flatMap((g) => Object.values(g.values)).filter((v): v is number => v !== undefined && v > 0);
    const max = Math.max(...all, 1e-3);
    const min = panel.log ? Math.max(1e-3, Math.min(...all, ...panel.groups.flatMap((g) => Object.values(g.inner ?? {}))) / 2) : 0;
    const scale = (v: number) => (panel.log ? ((Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min) || 1)) * plotW : (v / max) * plotW);
    for (const group of panel.groups) {
      out.push(`<text x="10" y="${y + 14 + barH}" font-size="11">${esc(group.label)}</text>`);
      for (const s of SYSTEMS) {
        const v = group.values[s];
        y += barH + 2;
        if (v === undefined) continue;
        out.push(`<rect x="${labelW}" y="${y}" width="${Math.max(1, scale(v)).toFixed(1)}" height="${barH}" fill="${COLORS[s]}" opacity="0.55"/>`);
        const inner = group.inner?.[s];
        if (inner !== undefined) out.push(`<rect x="${labelW}" y="${y}" width="${Math.max(1, scale(inner)).toFixed(1)}" height="${barH}" fill="${COLORS[s]}"/>`);
        const p50 = inner === undefined ? '' : ` (p50 ${num(inner)})`;
        out.push(`<text x="${labelW + scale(v) + 4}" y="${y + barH - 2}" font-size="10">${num(v)}${panel.unit === 'ms' ? ' ms' : ''}${p50}</text>`);
      }
      y += 8;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 20}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${out.join('')}</svg>\n`;
}
