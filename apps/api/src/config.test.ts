import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from './config.js';

describe('readConfig', () => {
  it('fills the defaults: embedded database under ./data, port 4000, one run at a time, open mutations', () => {
    expect(readConfig({}, '/srv/lab')).toEqual({
      host: '127.0.0.1',
      port: 4000,
      dataDir: '/srv/lab/data',
      databaseUrl: null,
      artifactDir: '/srv/lab/data/artifacts',
      runConcurrency: 1,
      runRetries: 0,
      heartbeatSeconds: 5,
      systemMetricsSeconds: 5,
      apiToken: null,
      maxBodyBytes: 16 * 1024 * 1024,
      maxImageBytes: 8 * 1024 * 1024,
      predictionCacheSize: 4,
      evaluationWorkerIdleSeconds: 60,
      corsOrigins: ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000'],
      allowedHosts: ['localhost', '127.0.0.1', '::1'],
      datasetRoots: ['/srv/lab/data/datasets'],
      importRoots: ['/srv/lab/data/imports'],
      cacheDir: '/srv/lab/data/cache',
      maxImagePixels: 50_000_000,
      maxSubscriptionsPerConnection: 100,
      maxConnectionsPerClient: 256,
      dashboardUrl: null,
    });
  });

  it('reads every variable', () => {
    const config = readConfig(
      {
        HOST: '0.0.0.0',
        PORT: '8080',
        DATA_DIR: '/var/lib/lab',
        DATABASE_URL: 'postgresql://lab:pw@db:5432/lab',
        RUN_CONCURRENCY: '2',
        ARTIFACT_DIR: '/mnt/shared',
        RUN_RETRIES: '3',
        WORKER_HEARTBEAT_SECONDS: '2',
        SYSTEM_METRICS_SECONDS: '0',
        API_TOKEN: 'a-long-token',
        MAX_BODY_BYTES: '2048',
        MAX_IMAGE_BYTES: '1024',
        PREDICTION_CACHE_SIZE: '8',
        EVALUATION_WORKER_IDLE_SECONDS: '0',
        CORS_ORIGINS: 'http://localhost:3000, https://lab.example.com',
        ALLOWED_HOSTS: 'lab.example.com, 10.0.0.5',
        DATASET_ROOTS: '/mnt/datasets:shared/images',
        IMPORT_ROOTS: '/mnt/weights:shared/pytorch',
        MAX_IMAGE_PIXELS: '1000000',
        MAX_SUBSCRIPTIONS_PER_CONNECTION: '5',
        MAX_CONNECTIONS_PER_CLIENT: '7',
        DASHBOARD_URL: 'https://lab.example.com/dashboard',
      },
      '/srv',
    );
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      dataDir: '/var/lib/lab',
      databaseUrl: 'postgresql://lab:pw@db:5432/lab',
      runConcurrency: 2,
      artifactDir: '/mnt/shared',
      runRetries: 3,
      heartbeatSeconds: 2,
      systemMetricsSeconds: 0,
      apiToken: 'a-long-token',
      maxBodyBytes: 2048,
      maxImageBytes: 1024,
      predictionCacheSize: 8,
      evaluationWorkerIdleSeconds: 0,
      corsOrigins: ['http://localhost:3000', 'https://lab.example.com'],
      allowedHosts: ['localhost', '127.0.0.1', '::1', 'lab.example.com', '10.0.0.5'],
      datasetRoots: ['/mnt/datasets', '/srv/shared/images'],
      importRoots: ['/mnt/weights', '/srv/shared/pytorch'],
      cacheDir: '/var/lib/lab/cache',
      maxImagePixels: 1_000_000,
      maxSubscriptionsPerConnection: 5,
      maxConnectionsPerClient: 7,
      dashboardUrl: 'https://lab.example.com/dashboard',
    });
  });

  it.each([
    [{ PORT: 'http' }, 'PORT', "PORT: expected a whole number from 0 to 65535, got 'http'."],
    [{ PORT: '70000' }, 'PORT', "PORT: expected a whole number from 0 to 65535, got '70000'."],
    [{ RUN_CONCURRENCY: '-1' }, 'RUN_CONCURRENCY', "RUN_CONCURRENCY: expected a whole number from 0 to 64, got '-1'."],
    [{ RUN_RETRIES: 'all' }, 'RUN_RETRIES', "RUN_RETRIES: expected a whole number from 0 to 100, got 'all'."],
    [
      { EVALUATION_WORKER_IDLE_SECONDS: '1.5' },
      'EVALUATION_WORKER_IDLE_SECONDS',
      "EVALUATION_WORKER_IDLE_SECONDS: expected a whole number from 0 to 86400, got '1.5'.",
    ],
    [
      { DATABASE_URL: 'mysql://db/lab' },
      'DATABASE_URL',
      "DATABASE_URL: unsupported scheme 'mysql:' (allowed: postgresql:, postgres:). Leave it unset for the embedded database.",
    ],
    [
      { DATABASE_URL: 'not a url :pw@' },
      'DATABASE_URL',
      "DATABASE_URL: not a URL: 'not a url :pw@'. Expected postgresql://user:password@host:port/database.",
    ],
    [
      { CORS_ORIGINS: 'localhost:3000' },
      'CORS_ORIGINS',
      "CORS_ORIGINS: expected '*' or comma-separated origins like http://localhost:3000, got 'localhost:3000'.",
    ],
    [
      { IMPORT_ROOTS: '/mnt/weights::/srv' },
      'IMPORT_ROOTS',
      "IMPORT_ROOTS: expected directories separated by ':', got '/mnt/weights::/srv'.",
    ],
    [
      { DASHBOARD_URL: 'localhost:3000' },
      'DASHBOARD_URL',
      "DASHBOARD_URL: expected the dashboard's http(s) URL without query or fragment, e.g. http://localhost:3000, got 'localhost:3000'.",
    ],
    [
      { DASHBOARD_URL: 'http://localhost:3000/?token=x' },
      'DASHBOARD_URL',
      "DASHBOARD_URL: expected the dashboard's http(s) URL without query or fragment, e.g. http://localhost:3000, got 'http://localhost:3000/?token=x'.",
    ],
    [
      { API_TOKEN: '' },
      'API_TOKEN',
      'API_TOKEN: must be at least 8 characters; unset it to allow mutations without a token.',
    ],
  ])('refuses %o naming the variable', (env, variable, message) => {
    const error = (() => {
      try {
        readConfig(env);
      } catch (caught) {
        return caught;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toBe(message);
  });

  it('stops the server at start-up with exit code 2 and the message', async () => {
    const bin = path.resolve(import.meta.dirname, '..', 'bin', 'resnet-lab-api.js');
    const failure = await promisify(execFile)(process.execPath, [bin], { env: { ...process.env, PORT: 'http' } }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toBe("Invalid configuration: PORT: expected a whole number from 0 to 65535, got 'http'.\n");
  });
});
