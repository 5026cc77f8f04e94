// The API's error vocabulary. Each becomes a GraphQL error whose `extensions.code` tells clients what kind of
// problem it is; messages say what was wrong and what is allowed. Anything else is an internal error: logged with
// its cause, and reported to clients without details.
import { GraphQLError } from 'graphql';

export const ERROR_CODES = [
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'LIMIT_EXCEEDED',
] as const;
export type ApiErrorCode = (typeof ERROR_CODES)[number];

/** Invalid input: names the input field and the value given. */
export function badUserInput(field: string, message: string, value?: unknown): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', field, ...(value === undefined ? {} : { value: describeValue(value) }) },
  });
}

export function notFound(what: string, id: string): GraphQLError {
  return new GraphQLError(`No ${what} with id '${id}'.`, { extensions: { code: 'NOT_FOUND', id } });
}

/** A request that is valid but impossible in the current state, e.g. cancelling a finished run. */
export function conflict(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'CONFLICT' } });
}

export function unauthenticated(): GraphQLError {
  return new GraphQLError(
    'Mutations need a token: send the header `Authorization: Bearer <API_TOKEN>` (over WebSocket, in the ' +
      'connection params as `authorization`).',
    { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } },
  );
}

/**
 * A request the client may not make whatever its token, e.g. a path outside the allowed roots; `field` names the
 * input field that asked for it, where one did.
 */
export function forbidden(message: string, field?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'FORBIDDEN', ...(field === undefined ? {} : { field }), http: { status: 403 } },
  });
}

/** A request over one of the server's documented limits; the message names the setting. */
export function limitExceeded(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'LIMIT_EXCEEDED' } });
}

/** Values echoed back in errors, shortened so that a 5 MB base64 image is not. */
function describeValue(value: unknown): unknown {
  if (typeof value === 'string' && value.length > 100) return `${value.slice(0, 97)}...`;
  return value;
}
