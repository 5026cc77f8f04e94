// What every request passes before the API looks at it, over HTTP and for a WebSocket upgrade: a Host header the
// API is known by (DNS rebinding), an allowed browser Origin (cross-site pages; browsers apply no CORS to
// WebSockets), and for WebSockets a cap on connections per client address. Refusals are JSON that names the
// setting to change.
import type http from 'node:http';
import type { VerifyClientCallbackAsync } from 'ws';
import type { ApiConfig } from '../config.js';
import { hostName, isAllowedHost, servedHostNames } from './allowed-host.js';
import { ClientConnectionLimit, clientAddress } from './client-connection-limit.js';
import { SECURITY_HEADERS } from './security-headers.js';

export interface RequestGuards {
  /** Sets the security headers; answers and returns false when the request is refused. */
  admitRequest(request: http.IncomingMessage, response: http.ServerResponse): boolean;
  /** For WebSocketServer's `verifyClient`: refuses the upgrade with 403 or 429 and a JSON body. */
  verifyWebSocketClient: VerifyClientCallbackAsync;
}

interface Refusal {
  readonly status: number;
  readonly body: string;
}

export function createRequestGuards(
  config: Pick<ApiConfig, 'allowedHosts' | 'host' | 'corsOrigins' | 'maxConnectionsPerClient'>,
): RequestGuards {
  const hosts = servedHostNames(config);
  const connections = new ClientConnectionLimit(config.maxConnectionsPerClient);

  const refusal = (request: http.IncomingMessage): Refusal | null => {
    const host = request.headers.host;
    // Without a Host header (HTTP/1.0) it cannot be a browser: browsers always send one.
    if (host !== undefined && !isAllowedHost(host, hosts, request.socket.localAddress)) {
      return forbidden(
        `Host '${host}' is not allowed: the API answers only ${describeList(hosts)} and its own IP addresses, so ` +
          `that a web page cannot reach it under a name of its own (DNS rebinding). To reach it as ` +
          `${hostName(host)}, add that name to ALLOWED_HOSTS.`,
      );
    }
    const origin = request.headers.origin;
    if (origin !== undefined && config.corsOrigins !== '*' && !config.corsOrigins.includes(origin)) {
      return forbidden(
        `Origin '${origin}' may not call this API: it allows ${describeList(config.corsOrigins)}, so that other ` +
          'web pages the user visits cannot drive it. To let pages of that origin use it, add it to CORS_ORIGINS.',
      );
    }
    return null;
  };

  return {
    admitRequest(request, response) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
      const refused = refusal(request);
      if (!refused) return true;
      response.writeHead(refused.status, { 'content-type': 'application/json' });
      response.end(refused.body);
      return false;
    },
    verifyWebSocketClient({ req }, callback) {
      const refused =
        refusal(req) ??
        (connections.admit(req.socket)
          ? null
          : tooManyConnections(clientAddress(req.socket), connections.maxPerClient));
      if (!refused) return callback(true);
      callback(false, refused.status, refused.body, { ...SECURITY_HEADERS, 'content-type': 'application/json' });
    },
  };
}

function tooManyConnections(address: string, max: number): Refusal {
  return error(
    429,
    'LIMIT_EXCEEDED',
    `${address} already holds ${max} WebSocket connections to this API, the most one client address may hold at ` +
      'once (MAX_CONNECTIONS_PER_CLIENT). Close one, or run several subscriptions over one connection.',
  );
}

function forbidden(message: string): Refusal {
  return error(403, 'FORBIDDEN', message);
}

function error(status: number, code: string, message: string): Refusal {
  return { status, body: JSON.stringify({ errors: [{ message, extensions: { code } }] }) };
}

function describeList(values: readonly string[] | '*'): string {
  return values === '*' ? 'any' : values.join(', ');
}
