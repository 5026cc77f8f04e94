// How errors reach clients, the same over HTTP (Apollo's formatError) and WebSocket (graphql-ws): errors with a
// client code keep their message; anything else is reported once per cause and reaches the client without details,
// as INSUFFICIENT_STORAGE when the server's disk is full (the client can do nothing but should know nothing was
// saved) and INTERNAL_SERVER_ERROR otherwise.
import { isDiskFull } from '@resnet-lab/trainer';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { ErrorReporter } from '../error-reporter.js';
import { ERROR_CODES } from '../errors.js';

/** Codes whose messages are meant for clients; anything else is reported as an internal error. */
export const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set<string>([
  ...ERROR_CODES,
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** Where an error of a WebSocket operation arose: reading the document, checking it or its variables, or running it. */
export type OperationPhase = 'parse' | 'validate' | 'variables' | 'execute';

/** Apollo's formatError: it has already coded parse, validation and variable errors. */
export function formatHttpError(
  formatted: GraphQLFormattedError,
  error: unknown,
  reporter: ErrorReporter,
): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) return withoutStack(formatted);
  return masked(unwrapResolverError(error), formatted.path, reporter);
}

/** An error of a graphql-ws operation, coded as Apollo codes the same error over HTTP. */
export function formatWebSocketError(
  error: GraphQLError,
  phase: OperationPhase,
  reporter: ErrorReporter,
): GraphQLFormattedError {
  const formatted = error.toJSON();
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) return withoutStack(formatted);
  if (phase === 'parse') return coded(formatted, 'GRAPHQL_PARSE_FAILED');
  if (phase === 'validate') return coded(formatted, 'GRAPHQL_VALIDATION_FAILED');
  if (phase === 'variables') return coded(formatted, 'BAD_USER_INPUT');
  // graphql-js's own errors about the request carry neither a cause nor a path: variables of the wrong type, a
  // missing operation name. Errors of resolvers and of results have one or the other.
  if (error.originalError === undefined && error.path === undefined && code === undefined) {
    return coded(formatted, 'BAD_USER_INPUT');
  }
  return masked(error.originalError ?? error, formatted.path, reporter);
}

function masked(cause: unknown, path: GraphQLFormattedError['path'], reporter: ErrorReporter): GraphQLFormattedError {
  reporter.report(cause);
  const at = path === undefined ? {} : { path };
  if (isDiskFull(cause)) {
    return {
      message: "The server's disk is full, so nothing was saved; its operator must free space (its log says where).",
      extensions: { code: 'INSUFFICIENT_STORAGE' },
      ...at,
    };
  }
  return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' }, ...at };
}

function coded(formatted: GraphQLFormattedError, code: string): GraphQLFormattedError {
  return { ...formatted, extensions: { ...formatted.extensions, code } };
}

function withoutStack(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (formatted.extensions === undefined || !('stacktrace' in formatted.extensions)) return formatted;
  const extensions = { ...formatted.extensions };
  delete extensions.stacktrace;
  return { ...formatted, extensions };
}
