// NUL characters in client text. PostgreSQL cannot store U+0000 in text or jsonb ("invalid byte sequence"), so a
// NUL that reached a query would fail there as an internal error; it is refused up front as the client's mistake.
import { badUserInput } from './errors.js';

/**
 * Throws BAD_USER_INPUT when a string anywhere in `value` (nested in objects and lists, keys included) holds a NUL
 * character; `field` is where `value` came from, e.g. 'input', and the error names the exact path, e.g. 'input.name'.
 */
export function checkNoNulBytes(field: string, value: unknown): void {
  const found = findNulByte(field, value);
  if (found === null) return;
  throw badUserInput(
    found.path,
    `Expected ${found.path} to hold no NUL character (U+0000), which the database cannot store; found one at ` +
      `index ${found.index}.`,
    found.text,
  );
}

interface NulByte {
  readonly path: string;
  /** The string that holds it. */
  readonly text: string;
  readonly index: number;
}

function findNulByte(path: string, value: unknown): NulByte | null {
  if (typeof value === 'string') {
    const index = value.indexOf('\0');
    return index === -1 ? null : { path, text: value, index };
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findNulByte(`${path}[${index}]`, item);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    for (const [key, item] of Object.entries(value)) {
      const keyIndex = key.indexOf('\0');
      if (keyIndex !== -1) return { path: `${path}.${key}`, text: key, index: keyIndex };
      const found = findNulByte(`${path}.${key}`, item);
      if (found) return found;
    }
  }
  return null;
}
