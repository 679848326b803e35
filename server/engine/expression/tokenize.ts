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
// Any other whitespace JavaScript's \s knows (no-break and other Unicode spaces) is checked by the regex.
const UNICODE_SPACE = /\s/;
const PUNCTUATION = '()[],.';

// Character codes, so the scan reads each character once without making a string of it.
const TAB = 9;
const CARRIAGE_RETURN = 13;
const SPACE = 32;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const MINUS = 45;
const DOT = 46;
const BACKSLASH = 92;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
// A key starts with a letter or `_` and goes on with letters, digits and `_`: /[A-Za-z_][A-Za-z0-9_]*/.
const startsWord = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const inWord = (c: number): boolean => startsWord(c) || isDigit(c);
// Operator characters are read as one run so `===` is reported as itself, not as `==` followed by a stray `=`.
const inOperator = (c: number): boolean => c === 61 || c === 33 || c === 60 || c === 62 || c === 38 || c === 124;
const isSpace = (source: string, i: number, c: number): boolean => c === SPACE || (c >= TAB && c <= CARRIAGE_RETURN) || (c > 127 && UNICODE_SPACE.test(source[i]!));

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

/**
 * Splits source into tokens, or reports the first character that cannot start one. One pass over
 * character codes: a workflow's megabyte of expressions is scanned without a string per character
 * or a regular expression per token.
 */
export function tokenize(source: string): TokenizeResult {
  const tokens: Token[] = [];
  const n = source.length;
  let i = 0;
  while (i < n) {
    const c = source.charCodeAt(i);
    if (isSpace(source, i, c)) {
      i += 1;
      continue;
    }
    if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
      const scanned = scanString(source, i);
      if ('error' in scanned) return { ok: false, error: scanned.error };
      tokens.push(scanned.token);
      i += scanned.token.text.length;
      continue;
    }
    const char = source[i]!;
    if (PUNCTUATION.includes(char)) {
      tokens.push({ kind: char as TokenKind, text: char, position: i });
      i += 1;
      continue;
    }
    let end = i;
    if (startsWord(c)) {
      end = i + 1;
      while (end < n && inWord(source.charCodeAt(end))) end += 1;
      tokens.push({ kind: 'word', text: source.slice(i, end), position: i });
    } else if (isDigit(c) || (c === MINUS && isDigit(source.charCodeAt(i + 1)))) {
      // A leading minus is always part of a number: the language has no arithmetic.
      end = i + 1;
      while (end < n && isDigit(source.charCodeAt(end))) end += 1;
      if (source.charCodeAt(end) === DOT && isDigit(source.charCodeAt(end + 1))) {
        end += 2;
        while (end < n && isDigit(source.charCodeAt(end))) end += 1;
      }
      const text = source.slice(i, end);
      tokens.push({ kind: 'number', text, position: i, value: Number(text) });
    } else if (inOperator(c)) {
      end = i + 1;
      while (end < n && inOperator(source.charCodeAt(end))) end += 1;
      const operator = source.slice(i, end);
      if (!OPERATORS.has(operator)) {
        return { ok: false, error: expressionError('a comparison operator such as ==, !=, <, <=, >, >=', i, `unknown operator '${operator}'`) };
      }
      tokens.push({ kind: 'op', text: operator, position: i });
    } else {
      const hint = c === MINUS ? ' (hyphens are not supported in keys or values)' : '';
      return { ok: false, error: expressionError('a key, constant, operator or parenthesis', i, `unexpected character '${char}'${hint}`) };
    }
    i = end;
  }
  tokens.push({ kind: 'end', text: '', position: n });
  return { ok: true, tokens };
}

// A backslash escapes whatever follows it, which covers the quote character and the backslash itself.
function scanString(source: string, start: number): { token: Token } | { error: ExpressionError } {
  const quote = source.charCodeAt(start);
  let value = '';
  // The unescaped run since the last escape, copied in one slice.
  let from = start + 1;
  let i = from;
  while (i < source.length) {
    const c = source.charCodeAt(i);
    if (c === quote) {
      value += source.slice(from, i);
      return { token: { kind: 'string', text: source.slice(start, i + 1), position: start, value } };
    }
    if (c === BACKSLASH && i + 1 < source.length) {
      value += source.slice(from, i) + source[i + 1]!;
      i += 2;
      from = i;
      continue;
    }
    i += 1;
  }
  return { error: expressionError(`a closing ${source[start]!}`, start, 'the end of the expression', 'for the string') };
}
