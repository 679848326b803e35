import type { PathSegment } from './parse.js';

/** Compiles a key path into a reader; a missing key, or a path through a non-object, reads as undefined (NULL). */
export function compilePath(path: readonly PathSegment[]): (root: unknown) => unknown {
  const segments = [...path];
  if (segments.length === 1) {
    const only = segments[0]!;
    return (root) => step(root, only);
  }
  return (root) => {
    let value = root;
    for (const segment of segments) {
      value = step(value, segment);
      if (value === undefined) return undefined;
    }
    return value;
  };
}

function step(value: unknown, segment: PathSegment): unknown {
  if (typeof segment === 'number') return Array.isArray(value) ? value[segment] : undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  // Own properties only: `worker.constructor` or `task.__proto__` must read as NULL, not as Object internals.
  return Object.hasOwn(value, segment) ? (value as Record<string, unknown>)[segment] : undefined;
}
