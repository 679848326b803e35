/** A syntax error: where it happened (0-based offset) and what would have been accepted there. */
export type ExpressionError = { message: string; position: number; expected: string };

/** Token kinds; keywords stay `word` so the parser decides by context (after a dot, `in` is just a key). */
export type TokenKind = 'word' | 'string' | 'number' | 'op' | '(' | ')' | '[' | ']' | ',' | '.' | 'end';

/** One lexeme; `value` holds the decoded contents of string and number literals. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly position: number;
  readonly value?: string | number;
}

/** Tokens always end with one `end` token, so a parser can peek without bounds checks. */
export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; error: ExpressionError };

const OPERATORS = new Set(['==', '=', '!=', '<>', '<', '<=', '>', '>=', '&&', '||']);
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
// A leading minus is always part of a number: the language has no arithmetic.
const NUMBER = /-?[0-9]+(?:\.[0-9]+)?/y;
// Operator characters are read as one run so `===` is reported as itself, not as `==` followed by a stray `=`.
const OPERATOR_RUN = /[=!<>&|]+/y;
const SPACE = /\s/;
const PUNCTUATION = '()[],.';

/** Builds a one-sentence error: what was expected (`context` precedes the position, `note` follows it) and what was found. */
export function expressionError(expected: string, position: number, found: string, context = '', note = ''): ExpressionError {
  const before = context === '' ? '' : ` ${context}`;
  const after = note === '' ? '' : ` ${note}`;
  return { expected, position, message: `Expected ${expected}${before} at position ${position}${after}, found ${found}` };
}

/** Quotes a token for messages; string literals already carry their own quotes. */
export function quoteToken(token: Token): string {
  if (token.kind === 'end') return 'the end of the expression';
  return token.kind === 'string' ? token.text : `'${token.text}'`;
}

/** Splits source into tokens, or reports the first character that cannot start one. */
export function tokenize(source: string): TokenizeResult {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (SPACE.test(c)) {
      i += 1;
      continue;
    }
    if (c === '"' || c === "'") {
      const scanned = scanString(source, i);
      if ('error' in scanned) return { ok: false, error: scanned.error };
      tokens.push(scanned.token);
      i += scanned.token.text.length;
      continue;
    }
    if (PUNCTUATION.includes(c)) {
      tokens.push({ kind: c as TokenKind, text: c, position: i });
      i += 1;
      continue;
    }
    const word = match(WORD, source, i);
    const number = word === null ? match(NUMBER, source, i) : null;
    const operator = word === null && number === null ? match(OPERATOR_RUN, source, i) : null;
    if (word !== null) tokens.push({ kind: 'word', text: word, position: i });
    else if (number !== null) tokens.push({ kind: 'number', text: number, position: i, value: Number(number) });
    else if (operator !== null && OPERATORS.has(operator)) tokens.push({ kind: 'op', text: operator, position: i });
    else if (operator !== null) {
      return { ok: false, error: expressionError('a comparison operator such as ==, !=, <, <=, >, >=', i, `unknown operator '${operator}'`) };
    } else {
      const hint = c === '-' ? ' (hyphens are not supported in keys or values)' : '';
      return { ok: false, error: expressionError('a key, constant, operator or parenthesis', i, `unexpected character '${c}'${hint}`) };
    }
    i += (word ?? number ?? operator ?? c).length;
  }
  tokens.push({ kind: 'end', text: '', position: source.length });
  return { ok: true, tokens };
}

function match(pattern: RegExp, source: string, at: number): string | null {
  pattern.lastIndex = at;
  return pattern.exec(source)?.[0] ?? null;
}

// A backslash escapes whatever follows it, which covers the quote character and the backslash itself.
function scanString(source: string, start: number): { token: Token } | { error: ExpressionError } {
  const quote = source[start]!;
  let value = '';
  let i = start + 1;
  while (i < source.length) {
    const c = source[i]!;
    if (c === quote) {
      return { token: { kind: 'string', text: source.slice(start, i + 1), position: start, value } };
    }
    if (c === '\\' && i + 1 < source.length) {
      value += source[i + 1]!;
      i += 2;
      continue;
    }
    value += c;
    i += 1;
  }
  return { error: expressionError(`a closing ${quote}`, start, 'the end of the expression', 'for the string') };
}
