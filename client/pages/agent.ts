/**
 * The agent softphone: one worker's page. It loads the SDK by script tag (the `Switchboard`
 * global), gets a demo token for `?worker=Name`, and shows the agent's activity, the connection,
 * incoming offers with a countdown, the assigned task, and what happened to offers that ended.
 */
import type * as SDK from '../sdk/index.js';
import { ACTIVITY_TONE, activities, endedCard, offerCard, taskCard, title, type CardContext, type EndKind, type Ended } from './agent-cards.js';
import { clock, duration, fill, h, param, shortSid } from './dom.js';

declare global {
  interface Window {
    Switchboard: typeof SDK;
    /** Handles for tests and the curious: the worker, every reservation seen, and the page's own accept. */
    softphone?: { worker: SDK.Worker; seen: Map<string, SDK.Reservation>; accept(sid: string): Promise<void> };
  }
}

const MAX_ENDED = 6;
const MAX_LOG = 14;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const page = {
  worker: null as SDK.Worker | null,
  seen: new Map<string, SDK.Reservation>(),
  ended: [] as Ended[],
  busy: new Set<string>(),
  /** Errors shown on a reservation's card, by SID. */
  cardErrors: new Map<string, string>(),
  alerts: [] as Array<{ id: number; text: string; tone: 'red' | 'amber' | 'green' }>,
  log: [] as Array<{ at: number; text: string }>,
  connection: { label: 'Connecting…', tone: 'gray' },
  rejectTo: '',
  /** Cards already shown once: only new ones play their entrance animation. */
  shown: new Set<string>(),
};

/** The entrance class for a card the first time it is rendered. */
function entering(key: string): string {
  if (page.shown.has(key)) return '';
  page.shown.add(key);
  return ' enter';
}
let alertIds = 0;

function log(text: string): void {
  page.log.unshift({ at: Date.now(), text });
  page.log.length = Math.min(page.log.length, MAX_LOG);
  renderLog();
}

function alert(text: string, tone: 'red' | 'amber' | 'green' = 'red'): void {
  const id = ++alertIds;
  page.alerts.unshift({ id, text, tone });
  page.alerts.length = Math.min(page.alerts.length, 3);
  renderAlerts();
}

function describeError(action: string, error: unknown): string {
  const e = error as { status?: number; message?: string };
  if (e.status === 410) return `Too late to ${action}: another agent already took this task, or the offer ended (410 Gone).`;
  return `Could not ${action}: ${e.message ?? String(error)}${e.status ? ` (${e.status})` : ''}`;
}

/** Runs a reservation command with the card marked busy; failures show on the card and as an alert. */
async function act(r: SDK.Reservation, action: string, run: () => Promise<unknown>): Promise<void> {
  page.busy.add(r.sid);
  page.cardErrors.delete(r.sid);
  render();
  try {
    await run();
  } catch (error) {
    const text = describeError(action, error);
    page.cardErrors.set(r.sid, text);
    alert(text);
    log(`${action} failed: ${(error as { status?: number }).status ?? ''} ${(error as Error).message}`);
  } finally {
    page.busy.delete(r.sid);
    render();
  }
}

function accept(sid: string): Promise<void> {
  const r = page.seen.get(sid);
  if (!r) return Promise.reject(new Error(`No reservation ${sid} on this page`));
  return act(r, 'accept', () => r.accept());
}

function ended(r: SDK.Reservation, kind: EndKind): void {
  page.ended = [{ reservation: r, kind, at: Date.now() }, ...page.ended.filter((e) => e.reservation.sid !== r.sid)].slice(0, MAX_ENDED);
  render();
}

// ---------------------------------------------------------------- rendering

function renderConnection(): void {
  const el = $('connection');
  el.className = `pill tone-${page.connection.tone}`;
  fill(el, h('span', { class: 'dot' }), page.connection.label);
}

function renderProfile(): void {
  const w = page.worker;
  if (!w) return;
  $('agent-name').textContent = w.friendlyName || param('worker') || 'Agent';
  $('avatar').textContent = (w.friendlyName || '?').slice(0, 1).toUpperCase();
  $('avatar').className = `avatar tone-${ACTIVITY_TONE[w.activityName] ?? 'gray'}`;
  $('agent-meta').textContent = `${w.activityName || '—'} · ${shortSid(w.sid)}`;
  document.title = `${w.friendlyName || 'Agent'} · Switchboard softphone`;
  const connected = w.connectionState === 'connected';
  fill(
    $('activity-switch'),
    ...activities(w).map((a) =>
      h(
        'button',
        {
          type: 'button',
          role: 'radio',
          'aria-checked': String(a.isCurrent),
          class: `seg tone-${ACTIVITY_TONE[a.friendlyName] ?? 'gray'}${a.isCurrent ? ' on' : ''}`,
          disabled: !connected,
          onclick: () => {
            if (a.isCurrent) return;
            a.setAsCurrent().then(
              () => log(`activity → ${a.friendlyName}`),
              (error: unknown) => alert(describeError(`switch to ${a.friendlyName}`, error)),
            );
          },
        },
        h('span', { class: 'dot' }),
        a.friendlyName,
      ),
    ),
  );
}

function cardContext(w: SDK.Worker): CardContext {
  return {
    busy: (sid) => page.busy.has(sid) || w.connectionState !== 'connected',
    working: (sid) => page.busy.has(sid),
    error: (sid) => page.cardErrors.get(sid),
    entering,
    act: (r, action, run) => void act(r, action, run),
    rejectTo: () => page.rejectTo,
    setRejectTo: (sid) => (page.rejectTo = sid),
    activities: activities(w),
    dismiss: (e) => {
      page.ended = page.ended.filter((x) => x !== e);
      render();
    },
  };
}

function renderLists(): void {
  const w = page.worker;
  if (!w) return;
  const live = [...w.reservations.values()];
  const offers = live.filter((r) => r.status === 'pending');
  const tasks = live.filter((r) => r.status === 'accepted' || r.status === 'wrapping');
  $('offers-count').textContent = offers.length > 0 ? String(offers.length) : '';
  const waiting = w.available
    ? h('div', { class: 'empty', 'data-testid': 'no-offers' }, h('span', { class: 'pulse' }), 'Waiting for offers… new tasks ring here.')
    : h('div', { class: 'empty', 'data-testid': 'no-offers' }, `You are ${w.activityName || 'not available'}: switch to Available to receive offers.`);
  const ctx = cardContext(w);
  fill($('offers'), ...(offers.length > 0 ? offers.map((r) => offerCard(ctx, r)) : [waiting]), ...page.ended.map((e) => endedCard(ctx, e)));
  fill($('tasks'), ...(tasks.length > 0 ? tasks.map((r) => taskCard(ctx, r)) : [h('div', { class: 'empty' }, 'No task assigned.')]));
}

function renderAlerts(): void {
  fill(
    $('alerts'),
    ...page.alerts.map((a) =>
      h(
        'div',
        { class: `alert tone-${a.tone}`, role: 'alert' },
        h('span', {}, a.text),
        h(
          'button',
          {
            type: 'button',
            class: 'icon-btn',
            'aria-label': 'Dismiss',
            onclick: () => {
              page.alerts = page.alerts.filter((x) => x.id !== a.id);
              renderAlerts();
            },
          },
          '×',
        ),
      ),
    ),
  );
}

function renderLog(): void {
  fill($('log'), ...page.log.map((l) => h('li', {}, h('time', {}, clock(l.at)), ' ', l.text)));
}

function render(): void {
  renderConnection();
  renderProfile();
  renderLists();
  renderAlerts();
  tick();
}

/** Moves countdowns and progress bars without rebuilding the cards (keeps focus and hover). */
function tick(): void {
  const now = Date.now();
  document.querySelectorAll<HTMLElement>('[data-deadline]').forEach((el) => {
    const left = Number(el.dataset['deadline']) - now;
    if (el.dataset['total']) el.style.width = `${Math.max(0, Math.min(100, (left / Number(el.dataset['total'])) * 100))}%`;
    else el.textContent = duration(left);
    el.closest('.offer')?.classList.toggle('urgent', left < 10_000);
  });
}

// ---------------------------------------------------------------- wiring

async function fetchToken(name: string): Promise<string> {
  const response = await fetch(`/demo/token?worker=${encodeURIComponent(name)}`);
  const body = (await response.json()) as { token?: string; message?: string };
  if (!response.ok || !body.token) throw new Error(body.message ?? `HTTP ${response.status}`);
  return body.token;
}

function setConnection(label: string, tone: string): void {
  page.connection = { label, tone };
  render();
}

async function main(): Promise<void> {
  const name = param('worker') ?? 'Alice';
  $('agent-name').textContent = name;
  if (!window.Switchboard) {
    setConnection('SDK not loaded', 'red');
    alert('The SDK (/switchboard.iife.js) did not load: run `npm run build` and reload.');
    return;
  }
  let token: string;
  try {
    token = await fetchToken(name);
  } catch (error) {
    setConnection('No token', 'red');
    alert(`No demo token for “${name}”: ${(error as Error).message}. Try ?worker=Alice or ?worker=Bob.`);
    return;
  }
  const worker = new window.Switchboard.Worker(token, { url: location.origin });
  page.worker = worker;
  window.softphone = { worker, seen: page.seen, accept };

  worker.on('ready', (w) => log(`ready as ${w.friendlyName} (${w.activityName})`));
  worker.on('connected', () => setConnection('Connected', 'green'));
  worker.on('disconnected', (info) => {
    if (!info.willReconnect) setConnection(info.code === 4000 ? 'Replaced by another tab' : 'Disconnected', 'red');
    else if (navigator.onLine === false) setConnection('Offline — waiting for the network', 'amber');
    else setConnection(`Reconnecting${info.retryInMs !== null && info.retryInMs >= 1000 ? ` in ${Math.ceil(info.retryInMs / 1000)} s` : ''}…`, 'amber');
    log(`disconnected (${info.code}${info.reason ? `: ${info.reason}` : ''})`);
  });
  worker.on('activity.update', (w) => {
    log(`activity is ${w.activityName}`);
    render();
  });
  worker.on('reservation.created', (r) => {
    page.seen.set(r.sid, r);
    log(`offer ${shortSid(r.sid)}: ${title(r)}`);
    render();
  });
  worker.on('reservation.accepted', (r) => {
    log(`accepted ${shortSid(r.sid)}`);
    render();
  });
  worker.on('reservation.wrapup', (r) => {
    log(`wrapping up ${shortSid(r.sid)}`);
    render();
  });
  for (const kind of ['rescinded', 'timeout', 'canceled', 'rejected', 'completed'] as const) {
    worker.on(`reservation.${kind}`, (r) => {
      page.seen.set(r.sid, r);
      log(`${kind} ${shortSid(r.sid)}`);
      ended(r, kind);
    });
  }
  worker.on('token.expired', () => {
    fetchToken(name)
      .then((fresh) => worker.updateToken(fresh))
      .then(
        () => log('token refreshed'),
        (error: unknown) => alert(`Could not refresh the token: ${(error as Error).message}`),
      );
  });
  worker.on('error', (error) => {
    log(`error ${error.status}: ${error.message}`);
    if (error.status === 401 || error.status === 403) alert(`The hub refused this agent's token: ${error.message}`);
  });
  worker.on('ready', () => {
    for (const r of worker.reservations.values()) page.seen.set(r.sid, r);
    render();
  });
  setInterval(tick, 250);
  render();
}

void main();
