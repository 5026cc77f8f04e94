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
