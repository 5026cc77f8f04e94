// Names of models, datasets and aliases: they appear in URLs, directory names and commands, so they are restricted.
import { badUserInput } from '../errors.js';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Checks a user-chosen name; `field` is the input field it came from, for the error. */
export function checkName(field: string, name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw badUserInput(
      field,
      `Invalid name '${name}': use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.`,
      name,
    );
  }
  return name;
}

/** An alias of a model version, e.g. `production`: what predict and setModelAlias name it by. */
const ALIAS_PATTERN = /^[A-Za-z0-9._-]{1,50}$/;

/** Checks an alias name; `field` is the input field it came from, for the error. */
export function checkAliasName(field: string, alias: string): string {
  if (!ALIAS_PATTERN.test(alias)) {
    throw badUserInput(
      field,
      `Invalid alias '${alias}': use 1 to 50 letters, digits, '-', '_' or '.', e.g. 'production'.`,
      alias,
    );
  }
  return alias;
}

/** Characters of a run's display name: it is indexed for sorting, and PostgreSQL's index entries are bounded. */
export const MAX_DISPLAY_NAME_LENGTH = 200;

/** A run's display name, trimmed; null when none was given (or only spaces), for the default name. */
export function checkDisplayName(field: string, name: string | null | undefined): string | null {
  const trimmed = name?.trim() ?? '';
  if (trimmed.length > MAX_DISPLAY_NAME_LENGTH) {
    throw badUserInput(
      field,
      `Expected ${field} to be at most ${MAX_DISPLAY_NAME_LENGTH} characters, got ${trimmed.length}.`,
      trimmed,
    );
  }
  return trimmed === '' ? null : trimmed;
}
