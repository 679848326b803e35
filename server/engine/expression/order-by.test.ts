import { describe, expect, it } from 'vitest';
import { parseOrderBy } from './order-by.js';

const w = (attributes: Record<string, unknown>): unknown => ({ worker: attributes });

function sortNames(source: string, workers: Record<string, unknown>[]): unknown[] {
  const parsed = parseOrderBy(source);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return workers.map(w).sort(parsed.compare).map((root) => (root as { worker: { name: unknown } }).worker.name);
}

describe('parseOrderBy: clauses', () => {
  it.each<[string, { path: string[]; direction: 'ASC' | 'DESC' }[]]>([
    ['worker.level ASC', [{ path: ['worker', 'level'], direction: 'ASC' }]],
    ['worker.level DESC', [{ path: ['worker', 'level'], direction: 'DESC' }]],
    ['worker.level', [{ path: ['worker', 'level'], direction: 'ASC' }]],
    ['worker.level desc', [{ path: ['worker', 'level'], direction: 'DESC' }]],
    [
      'worker.level ASC, worker.x DESC',
      [
        { path: ['worker', 'level'], direction: 'ASC' },
        { path: ['worker', 'x'], direction: 'DESC' },
      ],
    ],
    [
      '  worker.a.b Desc ,worker.c  ',
      [
        { path: ['worker', 'a', 'b'], direction: 'DESC' },
        { path: ['worker', 'c'], direction: 'ASC' },
      ],
    ],
  ])('%j', (source, clauses) => {
    const parsed = parseOrderBy(source);
    expect(parsed.ok && parsed.clauses).toEqual(clauses);
  });
});

describe('parseOrderBy: compare', () => {
  const a = { name: 'a', level: 3, x: 1 };
  const b = { name: 'b', level: 1, x: 2 };
  const c = { name: 'c', level: 2, x: 9 };
  const d = { name: 'd', level: 1, x: 5 };
  const none = { name: 'none' };
  const text = { name: 'text', level: 'high' };
  const numericText = { name: 'numericText', level: '2.5' };

  it.each<[string, Record<string, unknown>[], string[]]>([
    ['worker.level ASC', [a, b, c], ['b', 'c', 'a']],
    ['worker.level DESC', [a, b, c], ['a', 'c', 'b']],
    ['worker.level', [a, b, c], ['b', 'c', 'a']],
    ['worker.level ASC', [none, a, b], ['b', 'a', 'none']],
    ['worker.level DESC', [none, a, b], ['a', 'b', 'none']],
    ['worker.level DESC', [text, a, numericText], ['a', 'numericText', 'text']],
    ['worker.level ASC', [a, numericText, c], ['c', 'numericText', 'a']],
    ['worker.level ASC, worker.x DESC', [b, d, c], ['d', 'b', 'c']],
    ['worker.level ASC, worker.x ASC', [d, b, c], ['b', 'd', 'c']],
    // All ties keep the incoming (longest idle) order because Array#sort is stable.
    ['worker.missing DESC', [c, a, b], ['c', 'a', 'b']],
    ['worker.level ASC', [d, b], ['d', 'b']],
  ])('%s', (source, workers, expected) => {
    expect(sortNames(source, workers)).toEqual(expected);
  });

  it('returns 0 when every clause ties', () => {
    const parsed = parseOrderBy('worker.level, worker.x');
    expect(parsed.ok && parsed.compare(w({ level: 1, x: 2 }), w({ level: 1, x: 2 }))).toBe(0);
  });
});

describe('parseOrderBy: errors', () => {
  it.each<[string, number, string]>([
    ['', 0, 'an attribute such as worker.level'],
    ['worker.level ASC,', 17, 'an attribute such as worker.level'],
    ['worker.level UP', 13, "ASC, DESC, ',' or the end of order_by"],
    ['worker.level ASC DESC', 17, "ASC, DESC, ',' or the end of order_by"],
    ['worker.', 7, 'a key name'],
    ['worker.levels[0] ASC', 13, 'an attribute path without indexes'],
    ['5 ASC', 0, 'an attribute such as worker.level'],
    ['worker.level ASC; DROP', 16, 'a key, constant, operator or parenthesis'],
  ])('%j fails at %i expecting %s', (source, position, expected) => {
    const parsed = parseOrderBy(source);
    expect(!parsed.ok && parsed.error).toMatchObject({ position, expected });
    expect(!parsed.ok && parsed.error.message).toContain(`at position ${position}`);
  });
});
