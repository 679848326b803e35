/** A guard run before JSON.parse on what clients send: refuses nesting no request needs, without parsing it. */

/**
 * Deepest nesting of arrays and objects a JSON request body or socket frame may have: parameters
 * and commands are flat (attributes travel as text).
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether `text` nests arrays or objects deeper than `max`, found by one scan that skips strings
 * and stops at the first level too deep: a megabyte of `[` costs JSON.parse about 80 ms of the
 * event loop (a 64 KiB frame 3-8 ms), and this scan 33 characters.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote, over escaped characters.
      for (i += 1; i < text.length; i += 1) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i += 1;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return false;
}
