/**
 * Reads a V8 `.cpuprofile` (from `--cpu-prof`, e.g. `bench/run.ts --profile`) and prints where the
 * time went: self time by function and by file, and inclusive time of the heaviest frames, so a
 * missed target can be traced to its cause without a GUI.
 *
 *   node --import tsx bench/report/profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Shortens a script URL to the part a reader recognises. */
function where(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const path = url.replace(/^file:\/\//, '');
  if (!path.startsWith(REPO)) return path;
  // The project as the bench compiles it (lib/compiled.ts): `server/hub.js`, its lines the compiled file's.
  return path.slice(REPO.length).replace(/^dist\/bench-js\//, '');
}

/** Where a file's self time goes in the per-area breakdown (first match wins). */
const AREAS: Array<[string, RegExp]> = [
  // better-sqlite3's statements are native functions (`run`, `get`, `all`, `iterate`).
  ['store (SQLite, memory store)', /server\/store\/|better-sqlite3|bench\/hub\/store-meter|^(run|get|all|iterate|exec)$/],
  ['engine (routing, records, events)', /server\/engine\//],
  ['hub shell (perform, persist JSON, timers, flush)', /server\/hub\.[jt]s|server\/timers\.[jt]s/],
  ['payloads (REST/socket JSON of resources)', /server\/http\/serialize|server\/ws\/payloads/],
  ['REST transport (fastify, routes, params)', /server\/http\/|fastify|find-my-way|fast-querystring|fast-decode|@fastify|avvio|light-my-request|pino|server\/server\.[jt]s/],
  ['socket transport (sessions, frames, ws)', /server\/ws\/|\bws\/lib/],
  ['validation (zod)', /zod\//],
  ['metrics and observability', /prom-client|server\/observability/],
  ['garbage collection', /^\(garbage collector\)/],
  // The inspector's native `dispatch` is the profiler itself serializing the profile at its stop.
  ['bench probes (profiler, IPC)', /bench\/lib|hdr-histogram|node:inspector|node:internal\/child_process|^dispatch$/],
  ['network syscalls and Node streams', /^(writev|read|write|close|\(program\))$|node:(net|_http|internal\/stream|internal\/streams|stream|events|buffer|internal\/buffer|http|internal\/process\/task_queues|internal\/timers|timers)/],
];

/** Self and inclusive milliseconds per frame, file and function. */
export function summarizeProfile(profile: Profile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const selfByFn = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  const byArea = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, ms] of self) {
    const node = byId.get(id)!;
    selfByFn.set(key(node), (selfByFn.get(key(node)) ?? 0) + ms);
    const file = where(node.callFrame.url);
    selfByFile.set(file, (selfByFile.get(file) ?? 0) + ms);
    const name = node.callFrame.functionName;
    if (name !== '(idle)' && name !== '(root)') {
      const subject = file === '(native)' ? name : file;
      const area = AREAS.find(([, re]) => re.test(subject))?.[0] ?? 'other';
      byArea.set(area, (byArea.get(area) ?? 0) + ms);
    }
    // Each distinct frame on the stack gets the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (!seen.has(k)) inclusive.set(k, (inclusive.get(k) ?? 0) + ms);
      seen.add(k);
    }
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, ms]) => a + ms, 0);
  const list = (m: Map<string, number>, n: number) =>
    [...m].filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(root)') && k !== '(native)').sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, ms]) => `  ${ms.toFixed(0).padStart(7)} ms ${((ms / Math.max(1, total - idle)) * 100).toFixed(1).padStart(5)}%  ${k}`);
  return [
    `profile: ${(total / 1000).toFixed(1)} s sampled, ${(idle / 1000).toFixed(1)} s idle, ${((total - idle) / 1000).toFixed(1)} s busy (percent of busy time)`,
    'busy time by area (self time, builtins counted in their JS caller):',
    ...list(byArea, AREAS.length + 1),
    'self time by function:',
    ...list(selfByFn, top),
    'self time by file:',
    ...list(selfByFile, top),
    'inclusive time:',
    ...list(inclusive, top),
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: profile-summary.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(process.argv[3] ?? 25)));
}
