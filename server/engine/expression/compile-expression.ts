import { COMPARATORS } from './operators.js';
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

function compileOperand(node: OperandNode, roots: Set<string>): Operand {
  if (node.kind === 'literal') {
    const value = node.value;
    return { read: () => value, constant: true, value };
  }
  const first = node.path[0];
  if (typeof first === 'string') roots.add(first);
  return { read: compilePath(node.path), constant: false, value: undefined };
}
