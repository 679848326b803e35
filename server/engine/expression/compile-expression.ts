import { COMPARATORS, numericValue } from './operators.js';
import { parse, type ExpressionNode, type OperandNode } from './parse.js';
import { compilePath } from './read-path.js';
import type { ExpressionError } from './tokenize.js';

export type { ExpressionError } from './tokenize.js';

/** A parsed expression turned into closures, ready to be evaluated many times. */
export interface CompiledExpression {
  readonly source: string;
  /** Evaluates against a root object; keys are resolved as dotted paths from the root. */
  evaluate(root: unknown): boolean;
  /** True when the expression is a constant true such as `1==1` or `true` (lets callers skip evaluation). */
  readonly alwaysTrue: boolean;
  /** Top-level key names the expression reads (e.g. ['task','worker'] or ['skills','level']), for indexing. */
  readonly roots: ReadonlySet<string>;
  /**
   * Texts the JSON of a root must contain for the expression to hold there, when that JSON has no
   * escape (no backslash): each entry lists alternatives, one of which must appear. Lets a caller
   * skip parsing documents that cannot match (`call_sid == "CA1"` needs `"CA1"`); empty when the
   * expression gives no such hint.
   */
  readonly mustContain: ReadonlyArray<readonly string[]>;
}

/** The compiled expression, or the first syntax error. */
export type CompileResult = { ok: true; expression: CompiledExpression } | { ok: false; error: ExpressionError };

type Predicate = (root: unknown) => boolean;
// `constant` is set when the result does not depend on the root, so constants fold away at compile time.
type Compiled = { evaluate: Predicate; constant: boolean | null };
type Operand = { read: (root: unknown) => unknown; constant: boolean; value: unknown };

const always = (value: boolean): Compiled => ({ evaluate: value ? () => true : () => false, constant: value });

/** Parses and compiles a TaskRouter expression once; the result never throws when evaluated. */
export function compileExpression(source: string): CompileResult {
  const parsed = parse(source);
  if (!parsed.ok) return parsed;
  const roots = new Set<string>();
  const compiled = compileNode(parsed.ast, roots);
  const expression: CompiledExpression = {
    source,
    evaluate: compiled.evaluate,
    alwaysTrue: compiled.constant === true,
    roots,
    mustContain: compiled.constant === null ? requiredTexts(parsed.ast) : [],
  };
  return { ok: true, expression };
}

function compileNode(node: ExpressionNode, roots: Set<string>): Compiled {
  switch (node.kind) {
    case 'and':
    case 'or': {
      // `and` stops at the first false term, `or` at the first true one; constant terms fold away.
      const decisive = node.kind === 'or';
      const terms = node.terms.map((term) => compileNode(term, roots));
      if (terms.some((t) => t.constant === decisive)) return always(decisive);
      const live = terms.filter((t) => t.constant === null).map((t) => t.evaluate);
      if (live.length === 0) return always(!decisive);
      if (live.length === 1) return { evaluate: live[0]!, constant: null };
      if (live.length === 2) {
        const [l, r] = live as [Predicate, Predicate];
        return { evaluate: decisive ? (root) => l(root) || r(root) : (root) => l(root) && r(root), constant: null };
      }
      const evaluate: Predicate = (root) => {
        for (const term of live) if (term(root) === decisive) return decisive;
        return !decisive;
      };
      return { evaluate, constant: null };
    }
    case 'truth': {
      const operand = compileOperand(node.operand, roots);
      if (operand.constant) return always(operand.value === true);
      const read = operand.read;
      return { evaluate: (root) => read(root) === true, constant: null };
    }
    case 'comparison': {
      const test = COMPARATORS[node.operator];
      const left = compileOperand(node.left, roots);
      const right = compileOperand(node.right, roots);
      if (left.constant && right.constant) return always(test(left.value, right.value));
      const readLeft = left.read;
      // Most expressions compare a key with a constant; skip the second read for them.
      if (right.constant) {
        const value = right.value;
        return { evaluate: (root) => test(readLeft(root), value), constant: null };
      }
      const readRight = right.read;
      return { evaluate: (root) => test(readLeft(root), readRight(root)), constant: null };
    }
  }
}

// A string equal only to strings and written in JSON as itself between quotes: numeric strings also
// equal numbers (written any way), and JSON escapes quotes, backslashes, control characters and lone
// surrogates.
const plain = (value: unknown): value is string => typeof value === 'string' && value !== '' && JSON.stringify(value) === `"${value}"` && numericValue(value) === undefined;

/** What the JSON of a root must contain for `node` to hold there (see `mustContain`). */
function requiredTexts(node: ExpressionNode): string[][] {
  switch (node.kind) {
    case 'and':
      return node.terms.flatMap(requiredTexts);
    case 'or': {
      // One of the terms holds: the text holds one of their first requirements.
      const firsts = node.terms.map((term) => requiredTexts(term)[0]);
      return firsts.every((alternatives) => alternatives !== undefined) ? [firsts.flat()] : [];
    }
    case 'truth':
      return [];
    case 'comparison': {
      const { operator, left, right } = node;
      const [key, literal] = left.kind === 'key' && right.kind === 'literal' ? [left, right] : right.kind === 'key' && left.kind === 'literal' ? [right, left] : [];
      if (!key || !literal) return [];
      const value = literal.value;
      const keyFirst = key === left;
      // A key equal to a string, an array holding it, a key in a list of strings, a string contained.
      if ((operator === '==' || (operator === 'HAS' && keyFirst) || (operator === 'IN' && !keyFirst)) && plain(value)) return [[JSON.stringify(value)]];
      if (operator === 'IN' && keyFirst && Array.isArray(value) && value.length > 0 && value.every(plain)) return [value.map((v) => JSON.stringify(v))];
      if (operator === 'CONTAINS' && keyFirst && plain(value)) return [[value]];
      return [];
    }
  }
}

function compileOperand(node: OperandNode, roots: Set<string>): Operand {
  if (node.kind === 'literal') {
    const value = node.value;
    return { read: () => value, constant: true, value };
  }
  const first = node.path[0];
  if (typeof first === 'string') roots.add(first);
  return { read: compilePath(node.path), constant: false, value: undefined };
}
