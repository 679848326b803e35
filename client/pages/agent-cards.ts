/**
 * The softphone's cards, built from reservations: incoming offers, the assigned task, and the
 * notices of offers that ended. They read the page's state and act through a `CardContext`.
 */
import type * as SDK from '../sdk/index.js';
import { clock, duration, h, shortSid, showValue } from './dom.js';

/** What the cards need from the page. */
export interface CardContext {
  /** Whether a reservation's buttons are disabled (a command in flight, or not connected). */
  busy(sid: string): boolean;
  /** Whether a command for the reservation is in flight. */
  working(sid: string): boolean;
  /** The error to show on a reservation's card. */
  error(sid: string): string | undefined;
  /** The entrance class for a card the first time it shows (empty afterwards). */
  entering(key: string): string;
  /** Runs a reservation command, showing progress and failures. */
  act(r: SDK.Reservation, action: string, run: () => Promise<unknown>): void;
  /** The activity to move to after rejecting ('' to stay), read when the button is clicked. */
  rejectTo(): string;
  setRejectTo(sid: string): void;
  activities: SDK.Activity[];
  dismiss(e: Ended): void;
}

/** How an offer ended. */
export type EndKind = 'rescinded' | 'timeout' | 'canceled' | 'rejected' | 'completed';

/** An offer that ended, kept on screen as a notice. */
export interface Ended {
  reservation: SDK.Reservation;
  kind: EndKind;
  at: number;
}

const ENDINGS: Record<EndKind, { title: string; detail: string; tone: string; icon: string }> = {
  rescinded: { title: 'Taken by another agent', detail: 'Another agent accepted this task first.', tone: 'purple', icon: '⇄' },
  timeout: { title: 'Offer timed out', detail: 'Nobody answered before the deadline.', tone: 'amber', icon: '⏱' },
  canceled: { title: 'Offer withdrawn', detail: 'The task was canceled before anyone accepted it.', tone: 'gray', icon: '✕' },
  rejected: { title: 'Offer rejected', detail: 'You declined this task.', tone: 'gray', icon: '↩' },
  completed: { title: 'Task completed', detail: 'Nice work.', tone: 'green', icon: '✓' },
};

/** Activities in the order the switch shows them; others follow. */
const ACTIVITY_ORDER = ['Available', 'Unavailable', 'Offline'];
/** The color of each activity. */
export const ACTIVITY_TONE: Record<string, string> = { Available: 'green', Unavailable: 'amber', Offline: 'gray' };

/** The workspace's activities in the order the switch shows them. */
export function activities(worker: SDK.Worker): SDK.Activity[] {
  const all = [...worker.activities.values()];
  const rank = (a: SDK.Activity) => {
    const i = ACTIVITY_ORDER.indexOf(a.friendlyName);
    return i < 0 ? ACTIVITY_ORDER.length : i;
  };
  return all.sort((a, b) => rank(a) - rank(b));
}

function attributeList(r: SDK.Reservation, limit = Infinity): HTMLElement {
  const entries = Object.entries(r.task.attributes);
  if (entries.length === 0) return h('p', { class: 'muted small' }, 'No attributes');
  const shown = entries.slice(0, limit);
  return h(
    'dl',
    { class: 'attrs' },
    ...shown.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, showValue(v))]),
    entries.length > shown.length ? h('dd', { class: 'muted small more' }, `+${entries.length - shown.length} more`) : null,
  );
}

function taskChips(r: SDK.Reservation): HTMLElement {
  return h(
    'div',
    { class: 'chips' },
    h('span', { class: 'chip' }, r.task.channel ?? 'default'),
    r.task.queueName ? h('span', { class: 'chip' }, r.task.queueName) : null,
    r.task.priority > 0 ? h('span', { class: 'chip tone-indigo' }, `priority ${r.task.priority}`) : null,
  );
}

function cardError(ctx: CardContext, r: SDK.Reservation): HTMLElement | null {
  const text = ctx.error(r.sid);
  return text ? h('p', { class: 'card-error', 'data-testid': 'card-error' }, text) : null;
}

/** An incoming offer: attributes, countdown, Accept and Reject (optionally changing activity). */
export function offerCard(ctx: CardContext, r: SDK.Reservation): HTMLElement {
  const busy = ctx.busy(r.sid);
  const total = r.dateCreated ? Math.max(1000, r.timeoutAt.getTime() - r.dateCreated.getTime()) : 60_000;
  return h(
    'article',
    { class: `card offer${ctx.entering(`offer:${r.sid}`)}`, 'data-testid': 'offer', dataset: { sid: r.sid } },
    h(
      'header',
      { class: 'card-head' },
      h('div', {}, h('div', { class: 'eyebrow' }, 'Incoming task'), h('h3', {}, title(r))),
      h('div', { class: 'countdown', 'data-testid': 'countdown' }, h('span', { dataset: { deadline: String(r.timeoutAt.getTime()) } }, duration(r.timeLeft()))),
    ),
    h('div', { class: 'bar' }, h('span', { dataset: { deadline: String(r.timeoutAt.getTime()), total: String(total) } })),
    taskChips(r),
    attributeList(r),
    cardError(ctx, r),
    h(
      'footer',
      { class: 'actions' },
      h('button', { type: 'button', class: 'btn primary', disabled: busy, onclick: () => ctx.act(r, 'accept', () => r.accept()) }, ctx.working(r.sid) ? 'Working…' : 'Accept'),
      h(
        'button',
        {
          type: 'button',
          class: 'btn',
          disabled: busy,
          onclick: () => ctx.act(r, 'reject', () => r.reject(ctx.rejectTo() ? { activitySid: ctx.rejectTo() } : {})),
        },
        'Reject',
      ),
      h(
        'label',
        { class: 'then' },
        'then',
        h(
          'select',
          { 'aria-label': 'Activity after rejecting', onchange: (e: Event) => ctx.setRejectTo((e.target as HTMLSelectElement).value) },
          h('option', { value: '', selected: ctx.rejectTo() === '' }, 'stay as I am'),
          ...ctx.activities.map((a) => h('option', { value: a.sid, selected: ctx.rejectTo() === a.sid }, `go ${a.friendlyName}`)),
        ),
      ),
    ),
  );
}

/** A task's headline: its topic, subject, name, ... or its SID. */
export function title(r: SDK.Reservation): string {
  const a = r.task.attributes;
  const pick = ['topic', 'subject', 'title', 'name', 'customer', 'type'].map((k) => a[k]).find((v) => typeof v === 'string' && v !== '');
  return typeof pick === 'string' ? pick : `Task ${shortSid(r.task.sid)}`;
}

/** The assigned task, with Wrap up and Complete. */
export function taskCard(ctx: CardContext, r: SDK.Reservation): HTMLElement {
  const busy = ctx.busy(r.sid);
  const wrapping = r.status === 'wrapping';
  return h(
    'article',
    { class: `card task${ctx.entering(`task:${r.sid}`)}`, 'data-testid': 'task', dataset: { sid: r.sid } },
    h(
      'header',
      { class: 'card-head' },
      h('div', {}, h('div', { class: 'eyebrow' }, 'Your task'), h('h3', {}, title(r))),
      h('span', { class: `badge tone-${wrapping ? 'amber' : 'green'}`, 'data-testid': 'task-status' }, wrapping ? 'Wrapping up' : 'Assigned'),
    ),
    taskChips(r),
    attributeList(r),
    cardError(ctx, r),
    h(
      'footer',
      { class: 'actions' },
      wrapping ? null : h('button', { type: 'button', class: 'btn', disabled: busy, onclick: () => ctx.act(r, 'wrap up', () => r.task.wrapUp()) }, 'Wrap up'),
      h('button', { type: 'button', class: 'btn primary', disabled: busy, onclick: () => ctx.act(r, 'complete', () => r.task.complete()) }, 'Complete'),
      h('span', { class: 'muted small' }, 'task ', shortSid(r.task.sid)),
    ),
  );
}

/** What happened to an offer that ended, with a Dismiss button. */
export function endedCard(ctx: CardContext, e: Ended): HTMLElement {
  const ending = ENDINGS[e.kind];
  return h(
    'article',
    { class: `card ended tone-${ending.tone}${ctx.entering(`ended:${e.reservation.sid}:${e.kind}`)}`, 'data-testid': 'ended', dataset: { sid: e.reservation.sid, kind: e.kind } },
    h('div', { class: 'ended-icon', 'aria-hidden': 'true' }, ending.icon),
    h(
      'div',
      { class: 'ended-body' },
      h('strong', { class: 'notice' }, ending.title),
      h('span', { class: 'muted small' }, `${title(e.reservation)} · ${clock(e.at)}`),
      h('p', { class: 'small' }, ending.detail),
      cardError(ctx, e.reservation),
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'icon-btn',
        'aria-label': 'Dismiss',
        onclick: () => ctx.dismiss(e),
      },
      '×',
    ),
  );
}
