import { expressionError, quoteToken, tokenize, type ExpressionError, type Token } from './tokenize.js';

/** A constant value as written in an expression. */
export type Scalar = string | number | boolean | null;

/** Comparison operators under their canonical spelling (`=` becomes `==`, `<>` becomes `!=`). */
export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'CONTAINS' | 'HAS' | 'IN' | 'NOT IN';

/** One step of a key path: an attribute name or an array index. */
export type PathSegment = string | number;

/** A constant: a scalar or an array of scalars. */
export type LiteralNode = { kind: 'literal'; value: Scalar | readonly Scalar[]; position: number };

/** A key such as `task.languages[0]`, read from the evaluation root. */
export type KeyNode = { kind: 'key'; path: readonly PathSegment[]; position: number };

/** Either side of a comparison. */
export type OperandNode = LiteralNode | KeyNode;

/** `left OPERATOR right`. */
export type ComparisonNode = { kind: 'comparison'; operator: ComparisonOperator; left: OperandNode; right: OperandNode; position: number };

/** An operand standing alone, true only when its value is the boolean `true`. */
export type TruthNode = { kind: 'truth'; operand: OperandNode };

/**
 * `AND` / `OR` of two or more sub-expressions, in order: a chain of a thousand conditions is one
 * node with a thousand terms, so neither compiling nor evaluating it recurses a thousand deep.
 */
export type LogicalNode = { kind: 'and' | 'or'; terms: readonly ExpressionNode[] };

/** Any node of a parsed expression. */
export type ExpressionNode = ComparisonNode | TruthNode | LogicalNode;

/** The AST, or the first syntax error. */
export type ParseResult = { ok: true; ast: ExpressionNode } | { ok: false; error: ExpressionError };

/** A key path read from a token list, with the index of the first token after it. */
export type KeyPathResult = { ok: true; node: KeyNode; next: number } | { ok: false; error: ExpressionError };

/** Deepest nesting of parentheses an expression may have (each level is a frame of the parser's recursion). */
export const MAX_EXPRESSION_NESTING = 64;

// Words that cannot start a key because they would make expressions ambiguous.
const RESERVED = new Set(['AND', 'OR', 'IN', 'NOT', 'HAS', 'CONTAINS']);
const CONSTANTS: ReadonlyMap<string, Scalar> = new Map([['TRUE', true], ['FALSE', false], ['NULL', null]]);
const SYMBOLIC: Readonly<Record<string, ComparisonOperator>> = {
  '==': '==', '=': '==', '!=': '!=', '<>': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=',
};

// Thrown only inside `parse` and caught at its boundary, so recursive descent stays readable.
class ParseFailure extends Error {
  constructor(readonly error: ExpressionError) {
    super(error.message);
  }
}

/** Reads `name(.name|[index])*` starting at a word token; shared with the `order_by` parser. */
export function readKeyPath(tokens: readonly Token[], start: number): KeyPathResult {
  const first = tokens[start]!;
  const path: PathSegment[] = [first.text];
  let i = start + 1;
  for (;;) {
    const t = tokens[i]!;
    if (t.kind === '.') {
      const name = tokens[i + 1]!;
      if (name.kind !== 'word') return { ok: false, error: expressionError('a key name', name.position, quoteToken(name), "after '.'") };
      path.push(name.text);
      i += 2;
    } else if (t.kind === '[') {
      const index = tokens[i + 1]!;
      if (index.kind !== 'number' || !Number.isInteger(index.value) || (index.value as number) < 0) {
        return { ok: false, error: expressionError('an array index (a whole number)', index.position, quoteToken(index), "after '['") };
      }
      const close = tokens[i + 2]!;
      if (close.kind !== ']') return { ok: false, error: expressionError("']'", close.position, quoteToken(close), 'after the index') };
      path.push(index.value as number);
      i += 3;
    } else {
      return { ok: true, node: { kind: 'key', path, position: first.position }, next: i };
    }
  }
}

/** Parses an expression; AND binds tighter than OR, and operator keywords are case-insensitive. */
export function parse(source: string): ParseResult {
  const lexed = tokenize(source);
  if (!lexed.ok) return lexed;
  const tokens = lexed.tokens;
  let at = 0;
  const peek = (): Token => tokens[at]!;
  const fail = (expected: string, token: Token, note = ''): never => {
    throw new ParseFailure(expressionError(expected, token.position, quoteToken(token), after(), note));
  };
  function after(): string {
    const previous = tokens[at - 1];
    return previous === undefined ? '' : `after ${quoteToken(previous)}`;
  }
  const isWord = (t: Token, word: string): boolean => t.kind === 'word' && t.text.toUpperCase() === word;

  function parseOr(): ExpressionNode {
    const terms = [parseAnd()];
    while (isWord(peek(), 'OR') || (peek().kind === 'op' && peek().text === '||')) {
      at += 1;
      terms.push(parseAnd());
    }
    return terms.length === 1 ? terms[0]! : { kind: 'or', terms };
  }

  function parseAnd(): ExpressionNode {
    const terms = [parsePrimary()];
    while (isWord(peek(), 'AND') || (peek().kind === 'op' && peek().text === '&&')) {
      at += 1;
      terms.push(parsePrimary());
    }
    return terms.length === 1 ? terms[0]! : { kind: 'and', terms };
  }

  let nesting = 0;
  function parsePrimary(): ExpressionNode {
    const open = peek();
    if (open.kind === '(') {
      if (nesting === MAX_EXPRESSION_NESTING) fail('a condition', open, `(parentheses nest at most ${MAX_EXPRESSION_NESTING} deep)`);
      at += 1;
      nesting += 1;
      const inner = parseOr();
      nesting -= 1;
      if (peek().kind !== ')') fail("')'", peek(), `to close the '(' from position ${open.position}`);
      at += 1;
      return inner;
    }
    const left = parseOperand('a condition');
    const operator = readOperator();
    if (operator === null) return { kind: 'truth', operand: left };
    return { kind: 'comparison', operator, left, right: parseOperand('a value'), position: left.position };
  }

  function readOperator(): ComparisonOperator | null {
    const t = peek();
    const symbolic = t.kind === 'op' ? SYMBOLIC[t.text] : undefined;
    const word = t.kind === 'word' ? t.text.toUpperCase() : '';
    if (symbolic === undefined && word !== 'CONTAINS' && word !== 'HAS' && word !== 'IN' && word !== 'NOT') return null;
    at += 1;
    if (word !== 'NOT') return symbolic ?? (word as ComparisonOperator);
    if (!isWord(peek(), 'IN')) fail('IN', peek());
    at += 1;
    return 'NOT IN';
  }

  function parseOperand(expected: string): OperandNode {
    const t = peek();
    if (t.kind === '[') return parseArray(t);
    if (t.kind === 'string' || t.kind === 'number') {
      at += 1;
      return { kind: 'literal', value: t.value!, position: t.position };
    }
    if (t.kind !== 'word' || RESERVED.has(t.text.toUpperCase())) return fail(expected, t);
    const constant = CONSTANTS.get(t.text.toUpperCase());
    if (constant !== undefined) {
      at += 1;
      return { kind: 'literal', value: constant, position: t.position };
    }
    const key = readKeyPath(tokens, at);
    if (!key.ok) throw new ParseFailure(key.error);
    at = key.next;
    return key.node;
  }

  function parseArray(open: Token): LiteralNode {
    at += 1;
    const values: Scalar[] = [];
    if (peek().kind === ']') {
      at += 1;
      return { kind: 'literal', value: values, position: open.position };
    }
    for (;;) {
      const t = peek();
      const constant = t.kind === 'word' ? CONSTANTS.get(t.text.toUpperCase()) : undefined;
      if (t.kind === 'string' || t.kind === 'number') values.push(t.value!);
      else if (constant !== undefined) values.push(constant);
      else fail('a constant (string, number, true, false or null)', t);
      at += 1;
      const next = peek();
      if (next.kind !== ',' && next.kind !== ']') fail("',' or ']'", next, `to continue the array from position ${open.position}`);
      at += 1;
      if (next.kind === ']') return { kind: 'literal', value: values, position: open.position };
    }
  }

  try {
    if (peek().kind === 'end') {
      return { ok: false, error: expressionError('an expression', 0, 'an empty expression') };
    }
    const ast = parseOr();
    if (peek().kind !== 'end') fail('AND, OR or the end of the expression', peek());
    return { ok: true, ast };
  } catch (caught) {
    if (caught instanceof ParseFailure) return { ok: false, error: caught.error };
    throw caught;
  }
}
