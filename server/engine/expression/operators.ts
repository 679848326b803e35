import type { ComparisonOperator } from './parse.js';

/** A compiled comparison between two evaluated operands. */
export type Comparator = (left: unknown, right: unknown) => boolean;

// Decimal notation only: `Number()` would also accept '0x1f', '1e3' and '' (as 0), which attribute values never mean.
const NUMERIC = /^-?[0-9]+(?:\.[0-9]+)?$/;

/** A number, or a numeric string read as a number; anything else is undefined. */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  return typeof value === 'string' && NUMERIC.test(value) ? Number(value) : undefined;
}

const isNull = (v: unknown): v is null | undefined => v === null || v === undefined;
const isScalar = (v: unknown): boolean => isNull(v) || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Scalar equality: NULL equals only NULL, a number equals a numeric string of the same value, strings are case-sensitive. */
function same(left: unknown, right: unknown): boolean {
  if (isNull(left) || isNull(right)) return isNull(left) && isNull(right);
  if (left === right) return typeof left !== 'object';
  if (typeof left === 'number' && typeof right === 'string') return numericValue(right) === left;
  if (typeof left === 'string' && typeof right === 'number') return numericValue(left) === right;
  return false;
}

/** -1/0/1 when both sides are numeric (numbers or numeric strings) or both are strings; undefined when they are not comparable. */
function order(left: unknown, right: unknown): number | undefined {
  const a = numericValue(left);
  const b = numericValue(right);
  if (a !== undefined && b !== undefined) return a < b ? -1 : a > b ? 1 : 0;
  if (typeof left === 'string' && typeof right === 'string') return left < right ? -1 : left > right ? 1 : 0;
  return undefined;
}

const ordered = (accept: (sign: number) => boolean): Comparator => (left, right) => {
  const sign = order(left, right);
  return sign !== undefined && accept(sign);
};

const includes = (list: readonly unknown[], value: unknown): boolean => list.some((item) => same(item, value));

const has: Comparator = (left, right) => Array.isArray(left) && isScalar(right) && includes(left, right);

// A left-hand array asks "do the two lists intersect", which is how `task.languages IN worker.languages` is meant.
const isIn: Comparator = (left, right) => {
  if (!Array.isArray(right)) return false;
  if (Array.isArray(left)) return left.some((item) => includes(right, item));
  return isScalar(left) && includes(right, left);
};

/** Comparison semantics of TaskRouter; a scalar operator on an array (or object) is false, as is an array operator on two scalars. */
export const COMPARATORS: Readonly<Record<ComparisonOperator, Comparator>> = {
  '==': (left, right) => isScalar(left) && isScalar(right) && same(left, right),
  '!=': (left, right) => isScalar(left) && isScalar(right) && !same(left, right),
  '<': ordered((sign) => sign < 0),
  '<=': ordered((sign) => sign <= 0),
  '>': ordered((sign) => sign > 0),
  '>=': ordered((sign) => sign >= 0),
  // Documented for strings only; on an array it behaves as HAS because attribute lists are often written that way.
  CONTAINS: (left, right) => (Array.isArray(left) ? has(left, right) : typeof left === 'string' && typeof right === 'string' && left.includes(right)),
  HAS: has,
  IN: isIn,
  // A missing right-hand list is an empty one, so `worker.sid NOT IN task.rejected` holds before anything was rejected.
  'NOT IN': (left, right) => {
    if (!isScalar(left) && !Array.isArray(left)) return false;
    if (isNull(right)) return true;
    return Array.isArray(right) && !isIn(left, right);
  },
};
