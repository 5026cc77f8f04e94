import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ErrorReporter } from '../error-reporter.js';
import { formatHttpError, formatWebSocketError } from './format-error.js';

function reporter() {
  const logs: string[] = [];
  return { logs, reporter: new ErrorReporter((line) => logs.push(line)) };
}

/** An error as graphql-js hands over one a resolver threw: located at its field, the original as its cause. */
function resolverError(original: Error): GraphQLError {
  return new GraphQLError(original.message, { path: ['promoteCheckpoint'], originalError: original });
}

describe('formatHttpError and formatWebSocketError', () => {
  it('keep client errors as they are, without a stack trace', () => {
    const { logs, reporter: report } = reporter();
    const error = new GraphQLError('No run with id 7.', { extensions: { code: 'NOT_FOUND', stacktrace: ['at x'] } });
    const expected = { message: 'No run with id 7.', extensions: { code: 'NOT_FOUND' } };
    expect(formatHttpError(error.toJSON(), error, report)).toEqual(expected);
    expect(formatWebSocketError(error, 'execute', report)).toEqual(expected);
    expect(logs).toEqual([]);
  });

  it('tell a full disk from other failures, without saying where', () => {
    const { logs, reporter: report } = reporter();
    const full = resolverError(
      Object.assign(new Error('ENOSPC: no space left on device, write /srv/lab/artifacts/registry'), {
        code: 'ENOSPC',
      }),
    );
    const expected = {
      message: "The server's disk is full, so nothing was saved; its operator must free space (its log says where).",
      extensions: { code: 'INSUFFICIENT_STORAGE' },
      path: ['promoteCheckpoint'],
    };
    expect(formatHttpError(full.toJSON(), full, report)).toEqual(expected);
    expect(formatWebSocketError(full, 'execute', report)).toEqual(expected);
    const other = resolverError(new Error('connection refused'));
    expect(formatWebSocketError(other, 'execute', report)).toEqual({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
      path: ['promoteCheckpoint'],
    });
    // The full disk once (the same cause twice), the other failure once.
    expect(logs.map((line) => line.split('\n', 1)[0])).toEqual([
      'Internal error: Error: ENOSPC: no space left on device, write /srv/lab/artifacts/registry',
      'Internal error: Error: connection refused',
    ]);
  });

  it('code graphql-js errors about the request by where they arose over WebSocket', () => {
    const { logs, reporter: report } = reporter();
    const error = new GraphQLError('Unknown thing.');
    expect(formatWebSocketError(error, 'parse', report).extensions).toEqual({ code: 'GRAPHQL_PARSE_FAILED' });
    expect(formatWebSocketError(error, 'validate', report).extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(formatWebSocketError(error, 'variables', report).extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(formatWebSocketError(error, 'execute', report).extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(logs).toEqual([]);
  });
});
