// Tags and notes of runs, as startRun and updateRun take them: the checks that keep them short enough to list and
// search, and tags in a form that the runs filter matches exactly.
import { badUserInput } from '../errors.js';

/** Most tags a run has. */
export const MAX_RUN_TAGS = 20;
/** Characters of one tag, after trimming. */
export const MAX_TAG_LENGTH = 50;
/** Characters of a run's notes. */
export const MAX_NOTES_LENGTH = 10_000;

/** Letters and digits of any script, spaces, and `-_.:/` (for tags such as 'lr:0.1' or 'sweep/2'). */
const TAG_CHARACTER = /[\p{L}\p{N} _.:/-]/u;

/** The tags trimmed, each kept once in the order first given; `field` is the input field, for errors. */
export function checkRunTags(field: string, tags: readonly string[]): string[] {
  const checked = [...new Set(tags.map((tag) => checkTag(field, tag)))];
  if (checked.length > MAX_RUN_TAGS) {
    throw badUserInput(
      field,
      `Expected at most ${MAX_RUN_TAGS} different tags, got ${checked.length}.`,
      checked.length,
    );
  }
  return checked;
}

/** The notes as given; `field` is the input field, for errors. */
export function checkRunNotes(field: string, notes: string): string {
  if (notes.length > MAX_NOTES_LENGTH) {
    throw badUserInput(
      field,
      `Expected ${field} to be at most ${MAX_NOTES_LENGTH} characters, got ${notes.length}.`,
      notes.length,
    );
  }
  return notes;
}

function checkTag(field: string, tag: string): string {
  const trimmed = tag.trim();
  if (trimmed.length < 1 || trimmed.length > MAX_TAG_LENGTH) {
    throw badUserInput(
      field,
      `Expected each tag to be 1 to ${MAX_TAG_LENGTH} characters after trimming, got ${trimmed.length}: '${tag}'.`,
      tag,
    );
  }
  const wrong = [...trimmed].find((character) => !TAG_CHARACTER.test(character));
  if (wrong !== undefined) {
    throw badUserInput(
      field,
      `Tag '${trimmed}' has the character '${wrong}': use letters, digits, spaces, '-', '_', '.', ':' or '/'.`,
      tag,
    );
  }
  return trimmed;
}
