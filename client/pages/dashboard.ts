/**
 * The live dashboard of the demo workspace: queues with waiting tasks and longest wait, workers by
 * activity, recent tasks and events (pushed by the hub over server-sent events), and a form that
 * creates a task.
 */
import type { DashboardState, EventView, TaskView, WorkerView } from '../../server/demo/dashboard-state.js';
import { clock, duration, fill, h, parseJson, shortSid } from './dom.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const ACTIVITY_TONE: Record<string, string> = { Available: 'green', Unavailable: 'amber', Offline: 'gray' };
const STATUS_TONE: Record<string, string> = {
  pending: 'amber',
  reserved: 'indigo',
  assigned: 'green',
  wrapping: 'teal',
  completed: 'gray',
  canceled: 'red',
};
const PRESETS: Array<{ label: string; attributes: Record<string, unknown>; priority: number; channel: string }> = [
  { label: 'Billing question', attributes: { topic: 'Billing question', customer: 'Jane Doe', language: 'en' }, priority: 0, channel: 'default' },
  { label: 'Password reset chat', attributes: { topic: 'Password reset', customer: 'Omar Haddad', plan: 'pro' }, priority: 0, channel: 'chat' },
  { label: 'VIP callback', attributes: { topic: 'VIP callback', customer: 'Ada Lovelace', vip: true }, priority: 10, channel: 'voice' },
];

const SID_IN_TEXT = /\b[A-Z]{2}[0-9a-f]{32}\b/g;
/** Links to agent pages in the header. */
const AGENT_LINKS = 6;

let state: DashboardState | null = null;
/** Hub clock minus this browser's, so waits tick in the hub's time. */
let skew = 0;

function title(attributesText: string, sid: string): string {
  const a = parseJson(attributesText);
  const pick = ['topic', 'subject', 'title', 'name', 'customer', 'type'].map((k) => a[k]).find((v) => typeof v === 'string' && v !== '');
  return typeof pick === 'string' ? pick : `Task ${shortSid(sid)}`;
}

function tiles(s: DashboardState): void {
  const waiting = s.queues.reduce((n, q) => n + q.waiting, 0);
  const assigned = s.queues.reduce((n, q) => n + q.assigned, 0);
  const oldest = s.queues.map((q) => q.longest_waiting_since).filter((t): t is number => t !== null);
  const since = oldest.length > 0 ? Math.min(...oldest) : null;
  const available = s.activities.reduce((n, a) => n + (a.available ? a.workers : 0), 0);
  const total = s.activities.reduce((n, a) => n + a.workers, 0);
  const tile = (label: string, value: HTMLElement | string, hint: string, testid: string) =>
    h('div', { class: 'tile', 'data-testid': testid }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, value), h('div', { class: 'muted small' }, hint));
  fill(
    $('tiles'),
    tile('Waiting tasks', String(waiting), waiting === 1 ? 'task in queue' : 'tasks in queues', 'tile-waiting'),
    tile('Longest wait', since === null ? '—' : h('span', { dataset: { since: String(since) } }, duration(Date.now() + skew - since)), 'oldest waiting task', 'tile-longest'),
    tile('Agents available', `${available} / ${total}`, 'ready for offers', 'tile-available'),
    tile('Tasks in progress', String(assigned), 'assigned or wrapping', 'tile-assigned'),
  );
}

function queues(s: DashboardState): void {
  fill(
    $('queues'),
    h(
      'table',
      { class: 'table' },
      h('thead', {}, h('tr', {}, ...['Queue', 'Waiting', 'Offered', 'In progress', 'Longest wait', 'Max reserved'].map((c) => h('th', {}, c)))),
      h(
        'tbody',
        {},
        ...s.queues.map((q) =>
          h(
            'tr',
            { 'data-testid': 'queue-row', dataset: { queue: q.friendly_name } },
            h('td', {}, h('strong', {}, q.friendly_name), h('div', { class: 'muted small mono' }, q.target_workers)),
            h('td', { class: 'num', 'data-testid': 'queue-waiting' }, h('span', { class: `big${q.waiting > 0 ? ' hot' : ''}` }, String(q.waiting))),
            h('td', { class: 'num' }, String(q.reserved)),
            h('td', { class: 'num' }, String(q.assigned)),
            h('td', { class: 'num', 'data-testid': 'queue-longest' }, q.longest_waiting_since === null ? h('span', { class: 'muted' }, '—') : h('span', { dataset: { since: String(q.longest_waiting_since) } }, duration(Date.now() + skew - q.longest_waiting_since))),
            h('td', { class: 'num' }, String(q.max_reserved_workers)),
          ),
        ),
      ),
    ),
  );
}

function workerChip(w: WorkerView): HTMLElement {
  return h(
    'a',
    { class: 'worker-chip', href: `/agent.html?worker=${encodeURIComponent(w.friendly_name)}`, target: '_blank', rel: 'noopener', 'data-testid': 'worker-chip', dataset: { worker: w.friendly_name } },
    h('span', { class: `avatar sm tone-${ACTIVITY_TONE[w.activity_name] ?? 'gray'}` }, w.friendly_name.slice(0, 1).toUpperCase()),
    h('span', { class: 'worker-name' }, w.friendly_name),
    w.pending_reservations > 0 ? h('span', { class: 'badge tone-indigo' }, `${w.pending_reservations} offer${w.pending_reservations > 1 ? 's' : ''}`) : null,
    w.assigned_tasks > 0 ? h('span', { class: 'badge tone-green' }, `${w.assigned_tasks} task${w.assigned_tasks > 1 ? 's' : ''}`) : null,
  );
}

function workers(s: DashboardState): void {
  const order = ['Available', 'Unavailable', 'Offline'];
  const acts = [...s.activities].sort((a, b) => (order.indexOf(a.friendly_name) + 99) % 99 - (order.indexOf(b.friendly_name) + 99) % 99);
  fill(
    $('workers'),
    ...acts.map((a) => {
      // The hub lists the first workers of each activity by name and counts the rest.
      const members = s.workers.filter((w) => w.activity_sid === a.sid);
      const more = a.workers - members.length;
      return h(
        'div',
        { class: 'activity-col', 'data-testid': 'activity-col', dataset: { activity: a.friendly_name } },
        h('div', { class: 'activity-head' }, h('span', { class: `dot tone-${ACTIVITY_TONE[a.friendly_name] ?? 'gray'}` }), a.friendly_name, h('span', { class: 'count' }, a.workers.toLocaleString('en-US'))),
        ...(members.length > 0 ? members.map(workerChip) : [h('div', { class: 'muted small empty-col' }, 'nobody')]),
        more > 0 ? h('div', { class: 'muted small', 'data-testid': 'activity-more' }, `and ${more.toLocaleString('en-US')} more`) : null,
      );
    }),
  );
}

function taskRow(t: TaskView): HTMLElement {
  return h(
    'tr',
    { 'data-testid': 'task-row', dataset: { sid: t.sid } },
    h('td', {}, h('strong', {}, title(t.attributes, t.sid)), h('div', { class: 'muted small mono' }, shortSid(t.sid))),
    h('td', {}, h('span', { class: `badge tone-${STATUS_TONE[t.assignment_status] ?? 'gray'}` }, t.assignment_status)),
    h('td', {}, t.channel ?? '—'),
    h('td', { class: 'num' }, String(t.priority)),
    h('td', {}, t.worker ?? h('span', { class: 'muted' }, '—')),
    h('td', { class: 'num muted' }, h('span', { dataset: { since: String(t.date_created) } }, duration(Date.now() + skew - t.date_created))),
  );
}

function tasks(s: DashboardState): void {
  if (s.tasks.length === 0) {
    fill($('tasks'), h('div', { class: 'empty' }, 'No tasks yet: create one with the form.'));
    return;
  }
  fill(
    $('tasks'),
    h(
      'table',
      { class: 'table' },
      h('thead', {}, h('tr', {}, ...['Task', 'Status', 'Channel', 'Priority', 'Agent', 'Age'].map((c) => h('th', {}, c)))),
      h('tbody', {}, ...s.tasks.map(taskRow)),
    ),
  );
}

function eventTone(type: string): string {
  if (type.startsWith('reservation.')) return type.endsWith('rescinded') || type.endsWith('timeout') ? 'amber' : 'indigo';
  if (type.startsWith('task.')) return type.endsWith('canceled') ? 'red' : 'teal';
  if (type.startsWith('worker.')) return 'green';
  return 'gray';
}

function events(list: EventView[]): void {
  if (list.length === 0) {
    fill($('events'), h('li', { class: 'muted small' }, 'Nothing yet.'));
    return;
  }
  fill(
    $('events'),
    ...list.map((e) =>
      h(
        'li',
        { class: 'event', 'data-testid': 'event' },
        h('time', { class: 'muted small mono' }, clock(e.date)),
        h('span', { class: `badge tone-${eventTone(e.event_type)}` }, e.event_type),
        h('span', { class: 'event-text' }, e.description.replace(SID_IN_TEXT, (sid) => shortSid(sid))),
      ),
    ),
  );
}

function render(): void {
  if (!state) return;
  $('workspace-name').textContent = `Dashboard · ${state.workspace.friendly_name}`;
  tiles(state);
  queues(state);
  workers(state);
  tasks(state);
  events(state.events);
  const select = $<HTMLSelectElement>('task-channel');
  if (select.options.length !== state.channels.length) {
    const current = select.value || 'default';
    fill(select, ...state.channels.map((c) => h('option', { value: c, selected: c === current }, c)));
  }
  // A few shortcuts to agent pages; every listed worker's chip below links to its page too.
  fill(
    $('agent-links'),
    ...state.workers.slice(0, AGENT_LINKS).map((w) => h('a', { class: 'btn small ghost', href: `/agent.html?worker=${encodeURIComponent(w.friendly_name)}`, target: '_blank', rel: 'noopener' }, `${w.friendly_name} ↗`)),
  );
}

function tick(): void {
  const now = Date.now() + skew;
  document.querySelectorAll<HTMLElement>('[data-since]').forEach((el) => (el.textContent = duration(now - Number(el.dataset['since']))));
}

function live(on: boolean, label: string): void {
  const pill = $('live');
  pill.className = `pill tone-${on ? 'green' : 'amber'}`;
  fill(pill, h('span', { class: 'dot' }), label);
}

function connect(): void {
  const source = new EventSource('/demo/stream');
  source.addEventListener('open', () => live(true, 'Live'));
  source.addEventListener('error', () => live(false, 'Reconnecting…'));
  source.addEventListener('state', (event) => {
    const next = JSON.parse((event as MessageEvent<string>).data) as DashboardState | null;
    if (!next) return;
    skew = next.now - Date.now();
    state = next;
    render();
  });
}

function setupForm(): void {
  const form = $<HTMLFormElement>('task-form');
  const attributes = $<HTMLTextAreaElement>('task-attributes');
  const priority = $<HTMLInputElement>('task-priority');
  const channel = $<HTMLSelectElement>('task-channel');
  const result = $('task-result');
  const apply = (p: (typeof PRESETS)[number]) => {
    attributes.value = JSON.stringify(p.attributes, null, 2);
    priority.value = String(p.priority);
    if ([...channel.options].some((o) => o.value === p.channel)) channel.value = p.channel;
  };
  fill($('presets'), ...PRESETS.map((p) => h('button', { type: 'button', class: 'btn small ghost', onclick: () => apply(p) }, p.label)));
  apply(PRESETS[0]!);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(attributes.value || '{}');
    } catch (error) {
      fill(result, h('span', { class: 'text-red' }, `Attributes are not valid JSON: ${(error as Error).message}`));
      return;
    }
    const button = form.querySelector('button[type=submit]') as HTMLButtonElement;
    button.disabled = true;
    fetch('/demo/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ attributes: parsed, priority: Number(priority.value || 0), channel: channel.value || 'default' }),
    })
      .then(async (response) => {
        const body = (await response.json()) as { sid?: string; assignment_status?: string; message?: string };
        if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
        fill(result, h('span', { class: 'text-green', 'data-testid': 'task-created' }, `Created ${shortSid(body.sid ?? '')} · ${body.assignment_status ?? ''}`));
      })
      .catch((error: unknown) => fill(result, h('span', { class: 'text-red' }, `Could not create the task: ${(error as Error).message}`)))
      .finally(() => (button.disabled = false));
  });
}

setupForm();
connect();
setInterval(tick, 1000);
