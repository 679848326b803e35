/** The event-callback queue: lanes per URL taken in turn, a cap per lane, and a bound that drops from the longest lane. */
import { describe, expect, it } from 'vitest';
import { DeliveryLanes } from './delivery-lanes.js';

const takeAll = (lanes: DeliveryLanes<string>) => {
  const taken: string[] = [];
  for (let next = lanes.take(); next; next = lanes.take()) taken.push(next.item);
  return taken;
};

describe('DeliveryLanes', () => {
  it('takes lanes in turn, at most perLane in flight each, and frees a slot on done', () => {
    const lanes = new DeliveryLanes<string>(100, 2);
    for (const item of ['a1', 'a2', 'a3', 'a4']) lanes.push('A', item);
    for (const item of ['b1', 'b2', 'b3']) lanes.push('B', item);
    expect(takeAll(lanes)).toEqual(['a1', 'b1', 'a2', 'b2']);
    expect(lanes.waiting).toBe(3);
    lanes.done('A');
    expect(takeAll(lanes)).toEqual(['a3']);
    lanes.done('B');
    lanes.done('B');
    expect(takeAll(lanes)).toEqual(['b3']);
    expect(lanes.waiting).toBe(1);
  });

  it('a lane that never finishes holds only its own slots', () => {
    const lanes = new DeliveryLanes<string>(100, 1);
    lanes.push('hang', 'h1');
    lanes.push('hang', 'h2');
    expect(lanes.take()?.item).toBe('h1');
    for (let i = 0; i < 3; i += 1) {
      lanes.push('ok', `o${i}`);
      expect(lanes.take()).toEqual({ url: 'ok', item: `o${i}` });
      lanes.done('ok');
    }
    expect(lanes.take()).toBeUndefined();
  });

  it('past the bound, drops the oldest of the longest lane', () => {
    const lanes = new DeliveryLanes<string>(4, 1);
    expect(['n1', 'n2', 'n3'].map((item) => lanes.push('noisy', item))).toEqual([false, false, false]);
    expect(lanes.push('quiet', 'q1')).toBe(false);
    expect(lanes.push('quiet', 'q2')).toBe(true);
    expect(lanes.waiting).toBe(4);
    expect(takeAll(lanes)).toEqual(['n2', 'q1']);
  });
});
