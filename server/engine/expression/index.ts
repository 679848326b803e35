/** The TaskRouter expression language: compile once, evaluate many times. */
export { compileExpression, type CompileResult, type CompiledExpression, type ExpressionError } from './compile-expression.js';
export { parseOrderBy, type OrderByClause, type OrderByResult } from './order-by.js';
