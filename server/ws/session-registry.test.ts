/**
 * The keep-alive's pacing: every socket is visited once per interval, never all of them in one
 * tick, and a socket that leaves is visited no more.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionRegistry } from './session-registry.js';

class FakeSession {
  beats = 0;
  constructor(
    readonly workerSid: string | undefined,
    private readonly answers = true,
  ) {}
  heartbeat(): boolean {
    this.beats += 1;
    return this.answers;
  }
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('SessionRegistry keep-alive', () => {
  it('spreads the sockets over the interval and visits each exactly once per interval', () => {
    const registry = new SessionRegistry<FakeSession>(1000);
    const sessions = Array.from({ length: 1000 }, (_, i) => new FakeSession(`WK${i}`));
    for (const s of sessions) registry.open(s);
    let busiestTick = 0;
    let before = 0;
    for (let t = 0; t < 1000; t += 10) {
      vi.advanceTimersByTime(10);
      const now = sessions.reduce((a, s) => a + s.beats, 0);
      busiestTick = Math.max(busiestTick, now - before);
      before = now;
    }
    expect(sessions.every((s) => s.beats === 1)).toBe(true);
    // 20 slots of 50 ms: a tick pings a twentieth of the floor, not all of it.
    expect(busiestTick).toBe(50);
    vi.advanceTimersByTime(1000);
    expect(sessions.every((s) => s.beats === 2)).toBe(true);
    registry.stop();
  });

  it('stops visiting a socket once it is removed, and counts the dead it cut', () => {
    const registry = new SessionRegistry<FakeSession>(200);
    const gone = new FakeSession('WKgone');
    const dead = new FakeSession('WKdead', false);
    registry.open(gone);
    registry.open(dead);
    registry.remove(gone);
    vi.advanceTimersByTime(1000);
    expect(gone.beats).toBe(0);
    expect(dead.beats).toBe(5);
    expect(registry.stats().deadPeersCut).toBe(5);
    registry.stop();
    vi.advanceTimersByTime(1000);
    expect(dead.beats).toBe(5);
  });
});
