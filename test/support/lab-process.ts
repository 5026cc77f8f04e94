// `npm start` as a user runs it: the API and the dashboard (production build) together, in a child process.
import path from 'node:path';
import { spawnUntilReady } from './ready-process.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const TSX_CLI = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
/** Covers a first start, which builds the dashboard. */
const STARTUP_TIMEOUT_MS = 240_000;

export interface LabProcess {
  readonly dashboardUrl: string;
  readonly apiUrl: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startLab(env: Record<string, string>): Promise<LabProcess> {
  const { child, ready, output, exited } = await spawnUntilReady(
    'npm start',
    [TSX_CLI, path.join(root, 'scripts', 'start.ts')],
    { cwd: root, env, ready: /dashboard: +(\S+)\n +GraphQL API: +(\S+)/, timeoutMs: STARTUP_TIMEOUT_MS },
  );
  return {
    dashboardUrl: ready[1]!,
    apiUrl: ready[2]!,
    output,
    async stop() {
      child.kill('SIGINT');
      await exited;
    },
  };
}
