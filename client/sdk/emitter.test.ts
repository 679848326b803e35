import { afterEach, describe, expect, it, vi } from 'vitest';
import { Emitter } from './emitter.js';

interface Events {
  ping: number;
  name: string;
}

describe('Emitter', () => {
  afterEach(() => vi.useRealTimers());

  it('calls listeners in order with the payload; on() returns the unsubscribe', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    const off = e.on('ping', (n) => seen.push(`a${n}`));
    e.on('ping', (n) => seen.push(`b${n}`));
    e.emit('ping', 1);
    off();
    e.emit('ping', 2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
  });

  it('keeps events apart', () => {
    const e = new Emitter<Events>();
    const names: string[] = [];
    e.on('name', (s) => names.push(s));
    e.emit('ping', 1);
    e.emit('name', 'x');
    expect(names).toEqual(['x']);
  });

  it('once() fires a single time and can be cancelled before', () => {
    const e = new Emitter<Events>();
    const a = vi.fn();
    const b = vi.fn();
    e.once('ping', a);
    const cancel = e.once('ping', b);
    cancel();
    e.emit('ping', 1);
    e.emit('ping', 2);
    expect(a).toHaveBeenCalledTimes(1);
    expect(a).toHaveBeenCalledWith(1);
    expect(b).not.toHaveBeenCalled();
  });

  it('counts one subscription per on() even for the same function', () => {
    const e = new Emitter<Events>();
    const f = vi.fn();
    const off1 = e.on('ping', f);
    e.on('ping', f);
    expect(e.listenerCount('ping')).toBe(2);
    off1();
    e.emit('ping', 7);
    expect(f).toHaveBeenCalledTimes(1);
  });

  it('a listener removed during an emit is not called; one added waits for the next emit', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    let offB = () => {};
    e.on('ping', () => {
      seen.push('a');
      offB();
      e.on('ping', () => seen.push('late'));
    });
    offB = e.on('ping', () => seen.push('b'));
    e.emit('ping', 1);
    expect(seen).toEqual(['a']);
  });

  it('a throwing listener does not stop the others; its error surfaces on a later tick', () => {
    vi.useFakeTimers();
    const e = new Emitter<Events>();
    const after = vi.fn();
    e.on('ping', () => {
      throw new Error('boom');
    });
    e.on('ping', after);
    e.emit('ping', 1);
    expect(after).toHaveBeenCalledWith(1);
    expect(() => vi.runAllTimers()).toThrow('boom');
  });

  it('removeAllListeners clears one event or all', () => {
    const e = new Emitter<Events>();
    e.on('ping', () => {});
    e.on('name', () => {});
    e.removeAllListeners('ping');
    expect(e.listenerCount('ping')).toBe(0);
    expect(e.listenerCount('name')).toBe(1);
    e.removeAllListeners();
    expect(e.listenerCount('name')).toBe(0);
  });
});
