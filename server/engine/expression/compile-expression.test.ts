import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileExpression } from './compile-expression.js';
import { MAX_EXPRESSION_NESTING } from './parse.js';

const worker = {
  sid: 'WK1',
  agent_id: 'A1',
  level: 5,
  level_text: '5',
  rating: 5.1,
  name: 'Alice',
  code: 'abc',
  skills: ['support', 'sales'],
  languages: ['en', 'es'],
  ids: [1, 2, 3],
  active: true,
  away: false,
  nothing: null,
  nested: { deep: { value: 3 } },
  teams: [{ id: 'red' }, { id: 'blue' }],
  activity_name: 'Available',
};
const task = { type: 'ticket', customer_value: 'Gold', required_language: 'es', languages: ['fr', 'es'], rejected: ['WK9'], requested_agent: 'A1' };
const both = { task, worker };

function run(source: string, root: unknown): boolean {
  const compiled = compileExpression(source);
  if (!compiled.ok) throw new Error(compiled.error.message);
  return compiled.expression.evaluate(root);
}

describe('compileExpression: evaluation against worker attributes (no prefix)', () => {
  it.each<[string, boolean]>([
    // equality
    ["name == 'Alice'", true],
    ['name == "Alice"', true],
    ["name = 'Alice'", true],
    ["name == 'alice'", false],
    ['level == 5', true],
    ['level == 6', false],
    ['level_text == 5', true],
    ["level == '5'", true],
    ["level == '5.0'", true],
    ["level_text == '5.0'", false],
    ['rating == 5.1', true],
    ['active == true', true],
    ['active == TRUE', true],
    ["active == 'true'", false],
    ['away == false', true],
    // inequality
    ["name != 'Bob'", true],
    ["name != 'Alice'", false],
    ["name <> 'Bob'", true],
    ['level != 5', false],
    // ordering
    ['level > 4', true],
    ['level > 5', false],
    ['level >= 5', true],
    ['level < 5', false],
    ['level <= 5', true],
    ['rating >= 5.1', true],
    ['rating > 5.1', false],
    ['level > -1', true],
    ['level_text < 10', true],
    ["level_text < '10'", true],
    ["name < 'Bob'", true],
    ["name > 'Bob'", false],
    ["name > 5", false],
    ['active > 0', false],
    // CONTAINS
    ["code CONTAINS 'b'", true],
    ["code CONTAINS 'abc'", true],
    ["code CONTAINS 'B'", false],
    ["code CONTAINS 'abcd'", false],
    ["code contains 'a'", true],
    ['level CONTAINS 5', false],
    ["skills CONTAINS 'support'", true],
    ["skills CONTAINS 'sup'", false],
    // HAS
    ["skills HAS 'support'", true],
    ["skills HAS 'billing'", false],
    ["skills has 'sales'", true],
    ['ids HAS 2', true],
    ["ids HAS '2'", true],
    ["name HAS 'Alice'", false],
    ["skills HAS ['support']", false],
    ["missing HAS 'x'", false],
    // IN
    ["name IN ['Alice', 'Bob']", true],
    ["name IN ['Bob']", false],
    ["name in ['Alice']", true],
    ['level IN [1, 5]', true],
    ['level IN []', false],
    ["name IN 'Alice'", false],
    ["languages IN ['es', 'de']", true],
    ["languages IN ['de', 'fr']", false],
    ['missing IN [1]', false],
    ['missing IN [null]', true],
    // NOT IN
    ["name NOT IN ['Bob']", true],
    ["name NOT IN ['Alice', 'Bob']", false],
    ["name not in ['Bob']", true],
    ['sid NOT IN missing', true],
    ["languages NOT IN ['de']", true],
    ["languages NOT IN ['en']", false],
    ["name NOT IN 'Bob'", false],
    // NULL
    ['missing == null', true],
    ['nothing == NULL', true],
    ['missing == nothing', true],
    ['missing != null', false],
    ['missing == 1', false],
    ['missing != 1', true],
    ["missing == ''", false],
    ['missing > 0', false],
    ['missing < 0', false],
    ['level == null', false],
    ['level != null', true],
    // scalar operators on arrays are false
    ["skills == 'support'", false],
    ["skills != 'support'", false],
    ['ids > 0', false],
    // nested paths and indexes
    ['nested.deep.value == 3', true],
    ['nested.deep.value > 3', false],
    ['nested.deep.other == null', true],
    ['nested.deep.value.more == null', true],
    ['name.first == null', true],
    ["skills[0] == 'support'", true],
    ["skills[1] == 'sales'", true],
    ['skills[2] == null', true],
    ["teams[1].id == 'blue'", true],
    ["teams[0].id == 'blue'", false],
    ['nested[0] == null', true],
    ['Name == null', true],
    // bare operands
    ['active', true],
    ['away', false],
    ['name', false],
    ['missing', false],
    ['true', true],
    ['FALSE', false],
    // logic, precedence and parentheses
    ["name == 'Alice' AND level == 5", true],
    ["name == 'Alice' AND level == 6", false],
    ["name == 'Bob' OR level == 5", true],
    ["name == 'Bob' OR level == 6", false],
    ["name == 'Alice' and level == 5", true],
    ["name == 'Bob' or level == 5", true],
    ["name == 'Alice' && level == 5", true],
    ["name == 'Bob' || level == 5", true],
    ['level == 5 OR level == 6 AND level == 7', true],
    ['(level == 5 OR level == 6) AND level == 7', false],
    ['level == 7 AND level == 6 OR level == 5', true],
    ['level == 7 AND (level == 6 OR level == 5)', false],
    ["((skills HAS 'support')) AND (languages HAS 'en')", true],
    ["(skills HAS 'support') AND (languages HAS 'english')", false],
    ["activity_name in ['Available','High Value']", true],
    ["code == 'a\\'b' OR code == \"a\\\"b\" OR code == 'abc'", true],
  ])('%s → %s', (source, expected) => {
    expect(run(source, worker)).toBe(expected);
  });
});

describe('compileExpression: task × worker with prefixes', () => {
  it.each<[string, boolean]>([
    ['task.required_language IN worker.languages', true],
    ['task.languages IN worker.languages', true],
    ['worker.skills HAS task.type', false],
    ['task.requested_agent == worker.agent_id', true],
    ['task.requested_agent != worker.agent_id', false],
    ['worker.sid NOT IN task.rejected', true],
    ['worker.sid NOT IN task.rejected_workers', true],
    ["worker.sid IN task.rejected", false],
    ["task.type == 'ticket' AND worker.level >= 5", true],
    ["task.customer_value IN ['Silver', 'Bronze']", false],
    ['task.level == worker.level', false],
    ['1==1', true],
    ['1 == 2', false],
  ])('%s → %s', (source, expected) => {
    expect(run(source, both)).toBe(expected);
  });

  it.each<[unknown]>([[undefined], [null], [42], ['text'], [[1, 2]], [{ task: null, worker: 'x' }]])('never throws on root %j', (root) => {
    expect(run("task.type == 'ticket' AND worker.skills HAS 'x'", root)).toBe(false);
  });

  it('reads own properties only', () => {
    expect(run('worker.constructor == null AND worker.__proto__ == null', both)).toBe(true);
  });
});

describe('compileExpression: alwaysTrue and roots', () => {
  it.each<[string, boolean]>([
    ['1==1', true],
    ['true', true],
    ['TRUE', true],
    ["'a' == 'a'", true],
    ['(1 == 1) OR task.x == 2', true],
    ['1 == 1 AND 2 == 2', true],
    ['1 == 2', false],
    ['false', false],
    ['task.x == 1', false],
    ['1 == 1 AND task.x == 1', false],
  ])('%s → alwaysTrue %s', (source, expected) => {
    const compiled = compileExpression(source);
    expect(compiled.ok && compiled.expression.alwaysTrue).toBe(expected);
  });

  it.each<[string, string[]]>([
    ['task.x == worker.y', ['task', 'worker']],
    ["skills HAS 'a' AND level > 2 OR skills HAS 'b'", ['skills', 'level']],
    ['teams[0].id == 1', ['teams']],
    ['1==1', []],
  ])('%s reads %j', (source, roots) => {
    const compiled = compileExpression(source);
    expect(compiled.ok && [...compiled.expression.roots].sort()).toEqual([...roots].sort());
  });

  it('keeps the source', () => {
    const compiled = compileExpression(' a == 1 ');
    expect(compiled.ok && compiled.expression.source).toBe(' a == 1 ');
  });
});

describe('compileExpression: syntax errors', () => {
  it.each<[string, number, string]>([
    ['', 0, 'an expression'],
    ['   ', 0, 'an expression'],
    ['(a == 1', 7, "')'"],
    ['((a == 1) OR b == 2', 19, "')'"],
    ['a == 1)', 6, 'AND, OR or the end of the expression'],
    ['()', 1, 'a condition'],
    ['a ==', 4, 'a value'],
    ['a == 1 AND', 10, 'a condition'],
    ['a == 1 OR AND b == 1', 10, 'a condition'],
    ['a === 1', 2, 'a comparison operator such as ==, !=, <, <=, >, >='],
    ['a ! 1', 2, 'a comparison operator such as ==, !=, <, <=, >, >='],
    ["a == 'abc", 5, "a closing '"],
    ['a == "abc\\"', 5, 'a closing "'],
    ["a IN ['x',]", 10, 'a constant (string, number, true, false or null)'],
    ["a IN ['x' 'y']", 10, "',' or ']'"],
    ["a IN ['x'", 9, "',' or ']'"],
    ['a IN [b]', 6, 'a constant (string, number, true, false or null)'],
    ["a IN [['x']]", 6, 'a constant (string, number, true, false or null)'],
    ['a NOT 5', 6, 'IN'],
    ['a == 1 b == 2', 7, 'AND, OR or the end of the expression'],
    ['a.', 2, 'a key name'],
    ['a.b. == 1', 5, 'a key name'],
    ['a[x] == 1', 2, 'an array index (a whole number)'],
    ['a[1 == 1', 4, "']'"],
    ['a-b == 1', 1, 'a key, constant, operator or parenthesis'],
    ['a == #', 5, 'a key, constant, operator or parenthesis'],
    ['AND == 1', 0, 'a condition'],
    ['a IN', 4, 'a value'],
  ])('%j fails at %i expecting %s', (source, position, expected) => {
    const compiled = compileExpression(source);
    expect(compiled.ok).toBe(false);
    if (compiled.ok) return;
    expect(compiled.error).toMatchObject({ position, expected });
    expect(compiled.error.message).toContain(`Expected ${expected}`);
    expect(compiled.error.message).toContain(`at position ${position}`);
  });

  it('names the operator a value was expected after', () => {
    const compiled = compileExpression("task.type ==");
    expect(!compiled.ok && compiled.error.message).toBe("Expected a value after '==' at position 12, found the end of the expression");
  });
});

describe('compileExpression: size and nesting', () => {
  it('compiles and evaluates a chain of 50,000 conditions without recursing through it', () => {
    const ands = Array.from({ length: 50_000 }, (_, i) => `level >= ${i % 5}`).join(' AND ');
    expect(run(ands, worker)).toBe(true);
    expect(run(`${ands} AND level > 5`, worker)).toBe(false);
    const ors = Array.from({ length: 50_000 }, (_, i) => `name == 'x${i}'`).join(' OR ');
    expect(run(ors, worker)).toBe(false);
    expect(run(`${ors} OR name == 'Alice'`, worker)).toBe(true);
  });

  it('keeps AND above OR and the order of terms in long mixed chains', () => {
    // a OR b AND c OR d: b AND c binds first.
    expect(run("name == 'x' OR level == 5 AND code == 'abc' OR away", worker)).toBe(true);
    expect(run("name == 'x' OR level == 5 AND code == 'no' OR away", worker)).toBe(false);
    expect(run("level == 5 AND (name == 'x' OR code == 'abc') AND active", worker)).toBe(true);
  });

  it(`takes parentheses ${MAX_EXPRESSION_NESTING} deep and refuses one more with a syntax error`, () => {
    const nested = (n: number) => `${'('.repeat(n)}level == 5${')'.repeat(n)}`;
    expect(run(nested(MAX_EXPRESSION_NESTING), worker)).toBe(true);
    const refused = compileExpression(nested(MAX_EXPRESSION_NESTING + 1));
    expect(!refused.ok && refused.error).toMatchObject({ position: MAX_EXPRESSION_NESTING, expected: 'a condition' });
    expect(!refused.ok && refused.error.message).toContain(`parentheses nest at most ${MAX_EXPRESSION_NESTING} deep`);
    // Far deeper input (which used to overflow the stack) is refused the same way.
    expect(compileExpression(nested(100_000)).ok).toBe(false);
  });
});

describe('compileExpression: texts a matching document must contain', () => {
  const must = (source: string) => {
    const compiled = compileExpression(source);
    if (!compiled.ok) throw new Error(compiled.error.message);
    return compiled.expression.mustContain;
  };

  it('asks for quoted strings, substrings and lists of alternatives; nothing where a match may be written otherwise', () => {
    expect(must('call_sid == "CA1"')).toEqual([['"CA1"']]);
    expect(must('"CA1" == call_sid')).toEqual([['"CA1"']]);
    expect(must('type == "ticket" AND title CONTAINS "refund"')).toEqual([['"ticket"'], ['refund']]);
    expect(must('a == "x" OR b IN ["y", "z"]')).toEqual([['"x"', '"y"', '"z"']]);
    expect(must('skills HAS "support" AND "es" IN languages')).toEqual([['"support"'], ['"es"']]);
    // Numbers equal numeric strings, and quotes, backslashes and control characters are escaped in JSON.
    for (const source of ['a == 5', 'a == "5"', 'a IN ["x", "5"]', 'a == "say \\"hi\\""', 'a != "x"', 'a > "x"', 'a NOT IN ["x"]', 'a', 'a == "x" OR b > 1', '1 == 1']) {
      expect(must(source), source).toEqual([]);
    }
  });

  it('never rules out a document the expression holds on (random documents and expressions)', () => {
    const keys = ['a', 'b', 'c'];
    const strings = fc.constantFrom('x', 'y', 'X', 'x y', '5', '5.0', '-1', 'café', 'a"b', 'a\\b', '\u0001', '\ud800', 'sub', 'substring', '');
    const scalar = fc.oneof(strings, fc.integer({ min: -2, max: 6 }), fc.constantFrom(5.5, true, false, null));
    const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }));
    const document = fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 3 });
    const literal = fc.oneof(scalar.map((v) => JSON.stringify(v)), fc.array(scalar, { minLength: 1, maxLength: 3 }).map((l) => `[${l.map((v) => JSON.stringify(v)).join(', ')}]`));
    const comparison = fc
      .tuple(fc.constantFrom(...keys), fc.constantFrom('==', '!=', '<', '>=', 'CONTAINS', 'HAS', 'IN', 'NOT IN'), literal, fc.boolean())
      .map(([key, op, lit, keyFirst]) => (keyFirst ? `${key} ${op} ${lit}` : `${lit} ${op} ${key}`));
    const expression = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, comparison, fc.tuple(tie('node'), fc.constantFrom('AND', 'OR'), tie('node')).map(([l, op, r]) => `(${l}) ${op} (${r})`)),
    })).node;
    let held = 0;
    fc.assert(
      fc.property(expression, document, (source, doc) => {
        const compiled = compileExpression(source);
        if (!compiled.ok) return;
        const text = JSON.stringify(doc);
        if (!compiled.expression.evaluate(doc) || text.includes('\\')) return;
        held += 1;
        for (const alternatives of compiled.expression.mustContain) expect(alternatives.some((t) => text.includes(t)), `${source} on ${text}`).toBe(true);
      }),
      { numRuns: 5000 },
    );
    expect(held).toBeGreaterThan(100);
  });
});
