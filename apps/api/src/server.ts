// The HTTP server: Apollo Server for queries and mutations at /graphql, graphql-ws subscriptions on the same port
// and path, the Host/Origin/connection checks of http/request-guards.ts, a request-body limit, and a graceful stop.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type GraphQLRequest } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { WebSocketServer } from 'ws';
import type { ApiConfig } from './config.js';
import { isAuthorized, type ApiContext } from './context.js';
import { parseCheckpointDownloadPath, sendCheckpointDownload, sendJson } from './artifacts/checkpoint-download.js';
import { parseCheckpointSafetensorsPath, sendCheckpointSafetensors } from './artifacts/checkpoint-safetensors.js';
import { parseMetricsDownloadPath, sendMetricsDownload } from './exports/metrics-download.js';
import { ErrorReporter } from './error-reporter.js';
import { formatHttpError } from './graphql/format-error.js';
import { PARSE_OPTIONS, queryLimitRules } from './graphql/limits.js';
import { buildSchema } from './graphql/schema.js';
import { subscribeSharingResults } from './graphql/shared-subscription-execution.js';
import { refuseSubscriptionsOverHttp } from './graphql/refuse-subscriptions-over-http.js';
import { serveGraphQLOverWebSocket } from './graphql/websocket-server.js';
import { isBrowserVisit, sendExplorerOffer } from './http/explorer-offer.js';
import { createRequestGuards } from './http/request-guards.js';
import { listenAddressError } from './listen-address-error.js';
import { createServices, type ServiceOptions, type StartedServices } from './services/create-services.js';

export const GRAPHQL_PATH = '/graphql';

export interface RunningApi {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  readonly url: string;
  /** The same endpoint for WebSocket subscriptions. */
  readonly subscriptionsUrl: string;
  readonly services: StartedServices;
  /** For tests: runs one operation through Apollo, as HTTP requests do, with the given authorization. */
  executeOperation(
    request: GraphQLRequest,
    authorization?: string,
  ): ReturnType<ApolloServer<ApiContext>['executeOperation']>;
  stop(): Promise<void>;
}

export async function startApi(config: ApiConfig, options: ServiceOptions = {}): Promise<RunningApi> {
  const log = options.log ?? ((message: string) => console.error(message));
  const exposed = listenAddressError(config);
  if (exposed) throw exposed;
  const guards = createRequestGuards(config);
  const services = await createServices(config, options);
  const schema = await buildSchema();
  const httpServer = http.createServer();
  const webSocketServer = new WebSocketServer({
    server: httpServer,
    path: GRAPHQL_PATH,
    maxPayload: config.maxBodyBytes,
    verifyClient: guards.verifyWebSocketClient,
  });
  const limitRules = queryLimitRules();
  const reporter = new ErrorReporter(log);
  const subscriptions = serveGraphQLOverWebSocket(
    {
      schema,
      context: (connectionParams): ApiContext & Record<string, unknown> => ({
        services,
        authorized: isAuthorized(config.apiToken, connectionParams?.authorization),
      }),
      subscribe: subscribeSharingResults,
      validationRules: limitRules,
      maxSubscriptionsPerConnection: config.maxSubscriptionsPerConnection,
      reporter,
    },
    webSocketServer,
  );
  const apollo = new ApolloServer<ApiContext>({
    schema,
    validationRules: limitRules,
    parseOptions: PARSE_OPTIONS,
    csrfPrevention: true,
    // Our own handler stops the server (main.ts): Apollo's would re-send the signal before the services close.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => formatHttpError(formatted, error, reporter),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // No field has cache hints: the plugin's per-field hooks cost 3-4% of a runs-list request for nothing.
      ApolloServerPluginCacheControlDisabled(),
      refuseSubscriptionsOverHttp(GRAPHQL_PATH),
      { serverWillStart: () => Promise.resolve({ drainServer: async () => subscriptions.dispose() }) },
    ],
  });
  await apollo.start();

  httpServer.on('request', (request, response) => {
    if (!guards.admitRequest(request, response)) return;
    handleHttp(apollo, services, config, request, response).catch((error: unknown) => {
      reporter.report(error, `Unexpected error handling ${request.method} ${request.url}`);
      if (!response.headersSent) sendJson(response, 500, { errors: [{ message: 'Internal server error' }] });
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let stopped: Promise<void> | null = null;
  return {
    url: `http://${host}:${address.port}${GRAPHQL_PATH}`,
    subscriptionsUrl: `ws://${host}:${address.port}${GRAPHQL_PATH}`,
    services,
    executeOperation: (request, authorization) =>
      apollo.executeOperation(request, {
        contextValue: { services, authorized: isAuthorized(config.apiToken, authorization) },
      }),
    stop: () =>
      (stopped ??= (async () => {
        // Stops accepting, ends every subscription (drainServer) and waits for requests in flight.
        await apollo.stop();
        webSocketServer.close();
        await services.close();
      })()),
  };
}

/** Every download (checkpoint archive, safetensors, metrics) answers this without the token when API_TOKEN is set. */
function refuseDownload(response: http.ServerResponse): void {
  sendJson(response, 401, {
    error: 'Downloads need a token: send `Authorization: Bearer <API_TOKEN>`.',
    code: 'UNAUTHENTICATED',
  });
}

async function handleHttp(
  apollo: ApolloServer<ApiContext>,
  services: StartedServices,
  config: ApiConfig,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const origin = request.headers.origin;
  if (origin && (config.corsOrigins === '*' || config.corsOrigins.includes(origin))) {
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('vary', 'origin');
    // The dashboard names a download it fetched with the token (ui/access/download-link.tsx) from this header.
    response.setHeader('access-control-expose-headers', 'content-disposition');
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'content-type, authorization, apollo-require-preflight',
        'access-control-max-age': '600',
      });
      return void response.end();
    }
  }
  if (url.pathname === '/healthz') return sendJson(response, 200, { ok: true });
  const checkpointId = parseCheckpointDownloadPath(url.pathname);
  if (checkpointId !== null && (request.method === 'GET' || request.method === 'HEAD')) {
    if (!isAuthorized(config.apiToken, request.headers.authorization)) return refuseDownload(response);
    const checkpoint = await services.checkpoints.find(checkpointId);
    return sendCheckpointDownload(response, checkpointId, checkpoint, services.artifacts);
  }
  const safetensorsId = parseCheckpointSafetensorsPath(url.pathname);
  if (safetensorsId !== null && (request.method === 'GET' || request.method === 'HEAD')) {
    if (!isAuthorized(config.apiToken, request.headers.authorization)) return refuseDownload(response);
    const checkpoint = await services.checkpoints.find(safetensorsId);
    return sendCheckpointSafetensors(
      response,
      safetensorsId,
      checkpoint,
      services.artifacts,
      (directory) => services.checkpoints.exportSafetensors(directory),
      request.method,
    );
  }
  const metricsDownload = parseMetricsDownloadPath(url.pathname);
  if (metricsDownload !== null && (request.method === 'GET' || request.method === 'HEAD')) {
    if (!isAuthorized(config.apiToken, request.headers.authorization)) return refuseDownload(response);
    return sendMetricsDownload(response, metricsDownload, url.search, services.metricsExport);
  }
  if (url.pathname !== GRAPHQL_PATH) {
    return sendJson(response, 404, { error: `Not found. The GraphQL endpoint is ${GRAPHQL_PATH}.` });
  }
  if (isBrowserVisit(request, url.searchParams)) return sendExplorerOffer(request, response, config.dashboardUrl);
  const body = await readBody(request, config.maxBodyBytes);
  if (body === null) {
    return sendJson(response, 413, {
      errors: [
        {
          message: `Request body over ${config.maxBodyBytes} bytes (MAX_BODY_BYTES).`,
          extensions: { code: 'PAYLOAD_TOO_LARGE' },
        },
      ],
    });
  }
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  let parsedBody: unknown = body.toString('utf8');
  if (headers.get('content-type')?.startsWith('application/json')) {
    try {
      parsedBody = body.length === 0 ? undefined : JSON.parse(parsedBody as string);
    } catch {
      return sendJson(response, 400, {
        errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }],
      });
    }
  }
  const result = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: request.method ?? 'GET', headers, search: url.search, body: parsedBody },
    context: () =>
      Promise.resolve({ services, authorized: isAuthorized(config.apiToken, request.headers.authorization) }),
  });
  response.statusCode = result.status ?? 200;
  for (const [name, value] of result.headers) response.setHeader(name, value);
  if (result.body.kind === 'complete') {
    response.end(result.body.string);
  } else {
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  }
}

/** The body, or null when it exceeds the limit (the rest is not read). */
async function readBody(request: http.IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) return null;
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
