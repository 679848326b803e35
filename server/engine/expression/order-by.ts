import { numericValue } from './operators.js';
import { readKeyPath } from './parse.js';
import { compilePath } from './read-path.js';
import { expressionError, quoteToken, tokenize, type ExpressionError, type Token } from './tokenize.js';

/** One `path ASC|DESC` term of a workflow target's `order_by`. */
export type OrderByClause = { path: string[]; direction: 'ASC' | 'DESC' };

/** The clauses and a comparator over two evaluation roots, or the first syntax error. */
export type OrderByResult =
  | { ok: true; clauses: OrderByClause[]; compare: (a: unknown, b: unknown) => number }
  | { ok: false; error: ExpressionError };

const failure = (expected: string, token: Token, context = ''): OrderByResult => ({
  ok: false,
  error: expressionError(expected, token.position, quoteToken(token), context),
});

/** Parses `worker.level ASC, worker.x DESC`; a missing direction means ASC, and keywords are case-insensitive. */
export function parseOrderBy(source: string): OrderByResult {
  const lexed = tokenize(source);
  if (!lexed.ok) return lexed;
  const tokens = lexed.tokens;
  const clauses: OrderByClause[] = [];
  let at = 0;
  for (;;) {
    const start = tokens[at]!;
    const context = at === 0 ? '' : "after ','";
    if (start.kind !== 'word') return failure('an attribute such as worker.level', start, context);
    const key = readKeyPath(tokens, at);
    if (!key.ok) return key;
    const path = key.node.path;
    // TaskRouter orders by scalar worker attributes; an index would also make `path` more than names.
    if (!path.every((segment): segment is string => typeof segment === 'string')) {
      return failure('an attribute path without indexes', tokens.slice(at, key.next).find((t) => t.kind === '[')!);
    }
    at = key.next;
    const word = tokens[at]!;
    const direction = word.kind === 'word' ? word.text.toUpperCase() : '';
    if (direction === 'ASC' || direction === 'DESC') at += 1;
    clauses.push({ path: [...path], direction: direction === 'DESC' ? 'DESC' : 'ASC' });
    const next = tokens[at]!;
    if (next.kind === 'end') break;
    if (next.kind !== ',') return failure("ASC, DESC, ',' or the end of order_by", next);
    at += 1;
  }
  return { ok: true, clauses, compare: compileComparator(clauses) };
}

// Roots lacking a numeric value sort after those that have one in either direction, so DESC never favours the unknown.
function compileComparator(clauses: readonly OrderByClause[]): (a: unknown, b: unknown) => number {
  const terms = clauses.map((clause) => ({ read: compilePath(clause.path), sign: clause.direction === 'ASC' ? 1 : -1 }));
  return (a, b) => {
    for (const { read, sign } of terms) {
      const x = numericValue(read(a));
      const y = numericValue(read(b));
      if (x === y) continue;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      return x < y ? -sign : sign;
    }
    return 0;
  };
}
