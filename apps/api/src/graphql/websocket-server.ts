// GraphQL over WebSocket (graphql-ws's graphql-transport-ws protocol) on a `ws` server. The protocol is
// graphql-ws's own (makeServer); the socket handling is ours, because graphql-ws's `useServer` logs every socket
// error and failed send with a stack (a client that drops its connection is not an error, and a fan-out to 3,000
// dropped sockets logged 3,000 stacks) and hands internal error messages to clients as they are. Here every
// operation is parsed, checked and its errors coded exactly as over HTTP.
import type { IncomingMessage } from 'node:http';
import {
  GraphQLError,
  getOperationAST,
  getVariableValues,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { CloseCode, handleProtocols, makeServer, type OperationResult } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { ErrorReporter } from '../error-reporter.js';
import { limitExceeded } from '../errors.js';
import { formatWebSocketError, type OperationPhase } from './format-error.js';
import { PARSE_OPTIONS } from './limits.js';

export interface WebSocketGraphQLOptions<Context> {
  readonly schema: GraphQLSchema;
  /** The resolvers' context for an operation of a connection, from its connection params. */
  readonly context: (connectionParams: Readonly<Record<string, unknown>> | undefined) => Context;
  /** Runs a subscription (graphql-js's subscribe() or a drop-in). */
  readonly subscribe: (args: ExecutionArgs) => OperationResult;
  /** Rules added to graphql-js's specified ones: the same as over HTTP. */
  readonly validationRules: readonly ValidationRule[];
  /** Operations one connection may have open at once (MAX_SUBSCRIPTIONS_PER_CONNECTION). */
  readonly maxSubscriptionsPerConnection: number;
  readonly reporter: ErrorReporter;
  /** Milliseconds between pings; a socket that does not answer one within as long is dropped. */
  readonly keepAliveMs?: number;
}

interface Extra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
}

/** Errors of a connection that gone clients cause: nothing to report. */
const DISCONNECTED = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNABORTED',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

export function serveGraphQLOverWebSocket<Context extends Record<string, unknown>>(
  options: WebSocketGraphQLOptions<Context>,
  webSocketServer: WebSocketServer,
): { dispose(): Promise<void> } {
  const { reporter } = options;
  const rules = [...specifiedRules, ...options.validationRules];
  /** Where each refused operation's errors arose, for coding them as Apollo does. */
  const phases = new WeakMap<GraphQLError, OperationPhase>();
  const refuse = (errors: readonly GraphQLError[], phase: OperationPhase) => {
    for (const error of errors) phases.set(error, phase);
    return errors;
  };

  const server = makeServer<Record<string, unknown> | undefined, Extra>({
    schema: options.schema,
    context: (context) => options.context(context.connectionParams),
    subscribe: options.subscribe,
    onSubscribe: (context, _id, payload) => {
      // The new operation is already counted among the connection's subscriptions.
      const open = Object.keys(context.subscriptions).length;
      if (open > options.maxSubscriptionsPerConnection) {
        return refuse(
          [
            limitExceeded(
              `This connection has ${options.maxSubscriptionsPerConnection} operations open, the limit ` +
                '(MAX_SUBSCRIPTIONS_PER_CONNECTION); complete one first, or open another connection.',
            ),
          ],
          'execute',
        );
      }
      let document: DocumentNode;
      try {
        document = parse(payload.query, PARSE_OPTIONS);
      } catch (error) {
        if (error instanceof GraphQLError) return refuse([error], 'parse');
        throw error;
      }
      const errors = validate(options.schema, document, rules);
      if (errors.length > 0) return refuse(errors, 'validate');
      // Variables are checked here, as Apollo does, so that their errors are told from failures while running.
      const operation = getOperationAST(document, payload.operationName);
      const variables = operation
        ? getVariableValues(options.schema, operation.variableDefinitions ?? [], payload.variables ?? {})
        : null;
      if (variables?.errors) return refuse(variables.errors, 'variables');
      return {
        schema: options.schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
      };
    },
    onError: (_context, _id, _payload, errors) =>
      errors.map((error) => formatWebSocketError(error, phases.get(error) ?? 'execute', reporter)),
    onNext: (_context, _id, _payload, _args, result) => {
      if (!result.errors) return undefined;
      // A copy: results of subscriptions are shared between subscribers (shared-subscription-execution.ts).
      return { ...result, errors: result.errors.map((error) => formatWebSocketError(error, 'execute', reporter)) };
    },
  });

  const keepAliveMs = options.keepAliveMs ?? 12_000;
  webSocketServer.options.handleProtocols = handleProtocols;
  webSocketServer.on('error', (error) => reporter.report(error, 'WebSocket server error'));
  webSocketServer.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!DISCONNECTED.has(error.code ?? '')) reporter.report(error, 'WebSocket connection error');
      socket.terminate();
    });
    let pongWait: NodeJS.Timeout | null = null;
    const pings = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        // A send to a socket that went away resolves: the client is gone, and the close handler cleans up.
        send: (data) =>
          new Promise<void>((resolve) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => {
              if (error) socket.terminate();
              resolve();
            });
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data: Buffer) => {
            handle(data.toString()).catch((error: unknown) => {
              reporter.report(error, 'Internal error handling a WebSocket message');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(pings);
      void closed(code, reason.toString());
    });
  });

  return {
    dispose: async () => {
      for (const client of webSocketServer.clients) client.close(1001, 'Going away');
      await new Promise<void>((resolve, reject) =>
        webSocketServer.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
