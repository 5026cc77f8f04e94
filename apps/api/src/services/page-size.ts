// How many items a list argument such as `first` may ask for: a bounded page keeps every response bounded.
import { badUserInput } from '../errors.js';

/** The most items one page of any list may hold. */
export const MAX_PAGE_SIZE = 100;

/** Checks a page size from a client; `field` is the argument it came from, for the error. */
export function checkPageSize(field: string, size: number, max = MAX_PAGE_SIZE): number {
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw badUserInput(field, `Expected ${field} from 1 to ${max}, got ${size}.`, size);
  }
  return size;
}
