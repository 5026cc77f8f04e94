// The API's configuration, read from environment variables and checked once at start-up, so that a typo stops the
// server with a message naming the variable instead of surfacing later as a confusing failure.
import path from 'node:path';

export interface ApiConfig {
  readonly host: string;
  readonly port: number;
  /** Root of everything written locally: the embedded PostgreSQL server (`postgres/`), artifacts, datasets. */
  readonly dataDir: string;
  /** A PostgreSQL URL, or null for the embedded server of `<dataDir>/postgres`. */
  readonly databaseUrl: string | null;
  /** Where run outputs and the model registry live: a shared mount when workers run on other machines. */
  readonly artifactDir: string;
  /** How many workers `npm start` starts on this machine: runs that train at once here. */
  readonly runConcurrency: number;
  /** How often a run whose worker stops heartbeating is re-queued from its last checkpoint before it fails. */
  readonly runRetries: number;
  /** Seconds between worker heartbeats; a worker silent for 3 of them is lost. */
  readonly heartbeatSeconds: number;
  /** Seconds between a worker's samples of its training process's CPU, memory and GPU use; 0 takes none. */
  readonly systemMetricsSeconds: number;
  /** When set, mutations need `Authorization: Bearer <token>`. */
  readonly apiToken: string | null;
  /** Largest accepted HTTP request body. Images arrive base64-encoded inside it. */
  readonly maxBodyBytes: number;
  /** Largest accepted decoded image for `predict`. */
  readonly maxImageBytes: number;
  /** How many loaded checkpoints `predict` keeps in memory. */
  readonly predictionCacheSize: number;
  /**
   * Seconds a worker process that finished an evaluation is kept, idle, for the next one (which then starts no
   * process and loads no backend); 0 keeps none. At most one is kept.
   */
  readonly evaluationWorkerIdleSeconds: number;
  /** Browser origins allowed to call the API (the dashboard's), or '*' for any. */
  readonly corsOrigins: readonly string[] | '*';
  /**
   * Host header values (names, without the port) the API answers, so that DNS rebinding cannot reach it: loopback
   * names by default, plus `ALLOWED_HOSTS`; '*' for any.
   */
  readonly allowedHosts: readonly string[] | '*';
  /** Directories under which `registerDataset` may read datasets. */
  readonly datasetRoots: readonly string[];
  /** Directories under which `importModelVersion` may read safetensors files given by path. */
  readonly importRoots: readonly string[];
  /** Where decoded image folders are cached (never inside the user's dataset folder). */
  readonly cacheDir: string;
  /** Largest image (width x height) `predict` decodes. */
  readonly maxImagePixels: number;
  /** Subscriptions one WebSocket connection may hold at once. */
  readonly maxSubscriptionsPerConnection: number;
  /** WebSocket connections one client address may hold at once. */
  readonly maxConnectionsPerClient: number;
  /**
   * Where browsers reach the dashboard (DASHBOARD_URL; `npm start` sets it): a browser that opens the GraphQL URL is
   * sent to its API explorer. Null: none is known, and such a browser gets a page that says where to find one.
   */
  readonly dashboardUrl: string | null;
}

export const CONFIG_DEFAULTS = {
  host: '127.0.0.1',
  port: 4000,
  dataDir: 'data',
  runConcurrency: 1,
  runRetries: 0,
  heartbeatSeconds: 5,
  systemMetricsSeconds: 5,
  maxBodyBytes: 16 * 1024 * 1024,
  maxImageBytes: 8 * 1024 * 1024,
  predictionCacheSize: 4,
  /** A minute: evaluations in a row (a dashboard user comparing splits, a script) reuse one warm worker. */
  evaluationWorkerIdleSeconds: 60,
  /** 50 megapixels: an 8,660 x 5,773 photo; more than any phone camera of 2026 takes. */
  maxImagePixels: 50_000_000,
  maxSubscriptionsPerConnection: 100,
  maxConnectionsPerClient: 256,
  dashboardPort: 3000,
} as const;

/** Host names that always reach this machine only. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'] as const;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

export function readConfig(env: Environment, cwd = process.cwd()): ApiConfig {
  const dataDir = path.resolve(cwd, nonEmpty(env, 'DATA_DIR') ?? CONFIG_DEFAULTS.dataDir);
  return {
    host: nonEmpty(env, 'HOST') ?? CONFIG_DEFAULTS.host,
    port: integer(env, 'PORT', CONFIG_DEFAULTS.port, 0, 65535),
    dataDir,
    databaseUrl: databaseUrl(env),
    artifactDir: path.resolve(cwd, nonEmpty(env, 'ARTIFACT_DIR') ?? path.join(dataDir, 'artifacts')),
    runConcurrency: integer(env, 'RUN_CONCURRENCY', CONFIG_DEFAULTS.runConcurrency, 0, 64),
    runRetries: integer(env, 'RUN_RETRIES', CONFIG_DEFAULTS.runRetries, 0, 100),
    heartbeatSeconds: integer(env, 'WORKER_HEARTBEAT_SECONDS', CONFIG_DEFAULTS.heartbeatSeconds, 1, 3600),
    systemMetricsSeconds: integer(env, 'SYSTEM_METRICS_SECONDS', CONFIG_DEFAULTS.systemMetricsSeconds, 0, 3600),
    apiToken: apiToken(env),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', CONFIG_DEFAULTS.maxBodyBytes, 1024, 1024 ** 3),
    maxImageBytes: integer(env, 'MAX_IMAGE_BYTES', CONFIG_DEFAULTS.maxImageBytes, 1024, 1024 ** 3),
    predictionCacheSize: integer(env, 'PREDICTION_CACHE_SIZE', CONFIG_DEFAULTS.predictionCacheSize, 1, 1000),
    evaluationWorkerIdleSeconds: integer(
      env,
      'EVALUATION_WORKER_IDLE_SECONDS',
      CONFIG_DEFAULTS.evaluationWorkerIdleSeconds,
      0,
      86_400,
    ),
    corsOrigins: corsOrigins(env),
    allowedHosts: allowedHosts(env),
    datasetRoots: roots(env, 'DATASET_ROOTS', cwd, path.join(dataDir, 'datasets')),
    importRoots: roots(env, 'IMPORT_ROOTS', cwd, path.join(dataDir, 'imports')),
    cacheDir: path.join(dataDir, 'cache'),
    maxImagePixels: integer(env, 'MAX_IMAGE_PIXELS', CONFIG_DEFAULTS.maxImagePixels, 1, 1_000_000_000),
    maxSubscriptionsPerConnection: integer(
      env,
      'MAX_SUBSCRIPTIONS_PER_CONNECTION',
      CONFIG_DEFAULTS.maxSubscriptionsPerConnection,
      1,
      1_000_000,
    ),
    maxConnectionsPerClient: integer(
      env,
      'MAX_CONNECTIONS_PER_CLIENT',
      CONFIG_DEFAULTS.maxConnectionsPerClient,
      1,
      1_000_000,
    ),
    dashboardUrl: dashboardUrl(env),
  };
}

/**
 * The configuration of a command (`resnet-lab-api`, `resnet-lab-worker`, `npm start`), or null after printing
 * `Invalid configuration: <variable>: <problem>` for the caller to exit with code 2.
 */
export function readCommandConfig(
  env: Environment,
  report: (message: string) => void = console.error,
): ApiConfig | null {
  try {
    return readConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report(`Invalid configuration: ${error.message}`);
    return null;
  }
}

/** Where ResNet Lab 0.1 kept its embedded PGlite database, which this version no longer reads. */
export function legacyPGliteDir(dataDir: string): string {
  return path.join(dataDir, 'db');
}

function nonEmpty(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const text = nonEmpty(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got '${text}'.`);
  }
  return value;
}

function databaseUrl(env: Environment): string | null {
  const text = nonEmpty(env, 'DATABASE_URL');
  if (text === undefined) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(
      'DATABASE_URL',
      `not a URL: '${redact(text)}'. Expected postgresql://user:password@host:port/database.`,
    );
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new ConfigError(
      'DATABASE_URL',
      `unsupported scheme '${url.protocol}' (allowed: postgresql:, postgres:). Leave it unset for the embedded database.`,
    );
  }
  return text;
}

function apiToken(env: Environment): string | null {
  // Unlike the other variables an empty token is not "unset": it would silently leave mutations open.
  const text = env.API_TOKEN;
  if (text === undefined) return null;
  if (text.trim().length < 8) {
    throw new ConfigError('API_TOKEN', 'must be at least 8 characters; unset it to allow mutations without a token.');
  }
  return text.trim();
}

function corsOrigins(env: Environment): readonly string[] | '*' {
  const text = nonEmpty(env, 'CORS_ORIGINS');
  // The dashboard's origins by default: without a token, any page the user visits could otherwise drive the API.
  if (text === undefined) {
    const port = integer(env, 'DASHBOARD_PORT', CONFIG_DEFAULTS.dashboardPort, 1, 65535);
    return [`http://localhost:${port}`, `http://127.0.0.1:${port}`, `http://[::1]:${port}`];
  }
  if (text === '*') return '*';
  return text.split(',').map((origin) => {
    const trimmed = origin.trim();
    let parsed: URL | null = null;
    try {
      parsed = new URL(trimmed);
    } catch {
      // reported below
    }
    if (!parsed || parsed.origin !== trimmed) {
      throw new ConfigError(
        'CORS_ORIGINS',
        `expected '*' or comma-separated origins like http://localhost:3000, got '${trimmed}'.`,
      );
    }
    return trimmed;
  });
}

function dashboardUrl(env: Environment): string | null {
  const text = nonEmpty(env, 'DASHBOARD_URL');
  if (text === undefined) return null;
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new ConfigError(
      'DASHBOARD_URL',
      `expected the dashboard's http(s) URL without query or fragment, e.g. http://localhost:3000, got '${text}'.`,
    );
  }
  return url.href;
}

function allowedHosts(env: Environment): readonly string[] | '*' {
  const text = nonEmpty(env, 'ALLOWED_HOSTS');
  if (text === '*') return '*';
  const extra = (text ?? '')
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== '');
  for (const host of extra) {
    if (!/^(\*\.)?[a-z0-9.:[\]-]+$/.test(host) || host.includes('/')) {
      throw new ConfigError(
        'ALLOWED_HOSTS',
        `expected '*' or comma-separated host names without port or scheme (e.g. lab.example.com, 10.0.0.5, ` +
          `*.internal), got '${host}'.`,
      );
    }
  }
  return [...new Set([...LOOPBACK_HOSTS, ...extra])];
}

/** A list of directories (DATASET_ROOTS, IMPORT_ROOTS), each resolved from `cwd`; `fallback` when unset. */
function roots(env: Environment, name: string, cwd: string, fallback: string): readonly string[] {
  const text = nonEmpty(env, name);
  if (text === undefined) return [fallback];
  return text.split(path.delimiter).map((root) => {
    const trimmed = root.trim();
    if (trimmed === '') {
      throw new ConfigError(name, `expected directories separated by '${path.delimiter}', got '${text}'.`);
    }
    return path.resolve(cwd, trimmed);
  });
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
