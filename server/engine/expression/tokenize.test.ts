import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expressionError, tokenize, type Token, type TokenizeResult } from './tokenize.js';

/**
 * The tokenizer as it was first written, one regular expression per kind of token: the reference
 * the character-code scan must agree with, token for token and error for error.
 */
function referenceTokenize(source: string): TokenizeResult {
  const OPERATORS = new Set(['==', '=', '!=', '<>', '<', '<=', '>', '>=', '&&', '||']);
  const match = (pattern: RegExp, at: number): string | null => {
    pattern.lastIndex = at;
    return pattern.exec(source)?.[0] ?? null;
  };
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === '"' || c === "'") {
      let value = '';
      let j = i + 1;
      let closed = false;
      while (j < source.length) {
        const d = source[j]!;
        if (d === c) {
          closed = true;
          break;
        }
        if (d === '\\' && j + 1 < source.length) {
          value += source[j + 1]!;
          j += 2;
          continue;
        }
        value += d;
        j += 1;
      }
      if (!closed) return { ok: false, error: expressionError(`a closing ${c}`, i, 'the end of the expression', 'for the string') };
      tokens.push({ kind: 'string', text: source.slice(i, j + 1), position: i, value });
      i = j + 1;
      continue;
    }
    if ('()[],.'.includes(c)) {
      tokens.push({ kind: c as Token['kind'], text: c, position: i });
      i += 1;
      continue;
    }
    const word = match(/[A-Za-z_][A-Za-z0-9_]*/y, i);
    const number = word === null ? match(/-?[0-9]+(?:\.[0-9]+)?/y, i) : null;
    const operator = word === null && number === null ? match(/[=!<>&|]+/y, i) : null;
    if (word !== null) tokens.push({ kind: 'word', text: word, position: i });
    else if (number !== null) tokens.push({ kind: 'number', text: number, position: i, value: Number(number) });
    else if (operator !== null && OPERATORS.has(operator)) tokens.push({ kind: 'op', text: operator, position: i });
    else if (operator !== null) return { ok: false, error: expressionError('a comparison operator such as ==, !=, <, <=, >, >=', i, `unknown operator '${operator}'`) };
    else {
      const hint = c === '-' ? ' (hyphens are not supported in keys or values)' : '';
      return { ok: false, error: expressionError('a key, constant, operator or parenthesis', i, `unexpected character '${c}'${hint}`) };
    }
    i += (word ?? number ?? operator ?? c).length;
  }
  tokens.push({ kind: 'end', text: '', position: source.length });
  return { ok: true, tokens };
}

/** Pieces of expressions, and of what is not one: every kind of token, the edges between them, other characters. */
const FRAGMENTS = [
  'worker', 'task.skills', '_x9', 'AND', 'or', 'HAS', 'NOT IN', '1', '-2', '-2.5', '3.', '.5', '1.2.3', '-', '--1', '-x',
  '==', '=', '!=', '<>', '<=', '>=', '===', '&&', '||', '&', '!', '=<', '(', ')', '[', ']', ',', '.',
  '"', "'", '"a b"', "'it''s'", '"\\""', '\\', '\\\\', '"\\', ' ', '\t', '\n', '\u00a0', '\u2028', '\ufeff', '\u200b',
  'é', '漢', '🙂', '\ud800', '$', '#', '+', '*', '0x1F', '1e5',
];

describe('tokenize', () => {
  it('gives the same tokens and the same errors as the regular-expression tokenizer it replaced', () => {
    const source = fc.oneof(
      fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 12 }).map((parts) => parts.join('')),
      fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 12 }).map((parts) => parts.join(' ')),
      fc.string({ unit: 'binary', maxLength: 30 }),
    );
    fc.assert(
      fc.property(source, (s) => {
        expect(tokenize(s)).toEqual(referenceTokenize(s));
      }),
      { numRuns: 20_000 },
    );
  });

  it('scans a long chain in one pass', () => {
    const chain = Array.from({ length: 30_000 }, (_, i) => `skills HAS "s${i}"`).join(' AND ');
    const lexed = tokenize(chain);
    expect(lexed.ok && lexed.tokens.length).toBe(30_000 * 4 - 1 + 1);
  });
});
