// Starts the API in-process on a fresh database of the test run's PostgreSQL server, for resolver tests, with
// helpers to run operations.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GraphQLFormattedError } from 'graphql';
import { PNG } from 'pngjs';
import { readConfig, type Environment } from '../src/config.js';
import { startApi, type RunningApi } from '../src/server.js';
import type { ServiceOptions } from '../src/services/create-services.js';
import { createTestDatabase } from './test-database.js';

export interface TestApi {
  readonly api: RunningApi;
  readonly dataDir: string;
  /** Lines the API logged. */
  readonly logs: string[];
  /** Runs an operation and returns data and errors as an HTTP client would see them. */
  execute<Data = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    authorization?: string,
  ): Promise<{ data: Data | null | undefined; errors: readonly GraphQLFormattedError[] | undefined }>;
  close(): Promise<void>;
}

export async function startTestApi(env: Environment = {}, options: ServiceOptions = {}): Promise<TestApi> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-api-'));
  const logs: string[] = [];
  const config = readConfig({ PORT: '0', DATA_DIR: dataDir, DATABASE_URL: await createTestDatabase(), ...env });
  const api = await startApi(config, { log: (line) => logs.push(line), ...options });
  return {
    api,
    dataDir,
    logs,
    async execute<Data>(query: string, variables?: Record<string, unknown>, authorization?: string) {
      const response = await api.executeOperation({ query, variables }, authorization);
      if (response.body.kind !== 'single') throw new Error('Expected a single result.');
      const { data, errors } = response.body.singleResult;
      return { data: data as Data | null | undefined, errors };
    },
    async close() {
      await api.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A PNG of horizontal stripes, 2 pixels high, as the synthetic dataset's first class. */
export function stripesPng(size: number): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const offset = (y * size + x) * 4;
      const value = Math.floor(y / 2) % 2 === 0 ? 255 : 0;
      png.data[offset] = png.data[offset + 1] = png.data[offset + 2] = value;
      png.data[offset + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** A PNG of pseudo-random pixels: it does not compress, so its size is predictable (about 3 bytes a pixel). */
export function noisePng(size: number): Buffer {
  const png = new PNG({ width: size, height: size });
  let state = 12345;
  for (let offset = 0; offset < png.data.length; offset++) {
    state = (state * 1103515245 + 12345) >>> 0;
    png.data[offset] = offset % 4 === 3 ? 255 : state >>> 24;
  }
  return PNG.sync.write(png);
}
