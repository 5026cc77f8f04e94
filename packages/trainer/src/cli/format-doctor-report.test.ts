import { describe, expect, it } from 'vitest';
import type { DoctorReport } from '../doctor/diagnose.js';
import { formatDoctorReport } from './format-doctor-report.js';

const REPORT: DoctorReport = {
  backends: [
    {
      kind: 'native GPU',
      backend: 'tensorflow',
      package: '@tensorflow/tfjs-node-gpu',
      version: '4.22.0',
      loads: false,
      device: null,
      reason:
        '@tensorflow/tfjs-node-gpu is installed without its native library (lib/napi-v8/tfjs_binding.node is missing)',
      fix: 'npm rebuild @tensorflow/tfjs-node-gpu',
      auto: false,
    },
    {
      kind: 'native CPU',
      backend: 'tensorflow',
      package: '@tensorflow/tfjs-node',
      version: null,
      loads: false,
      device: null,
      reason: '@tensorflow/tfjs-node is not installed',
      fix: 'npm install',
      auto: false,
    },
    {
      kind: 'wasm',
      backend: 'wasm',
      package: '@tensorflow/tfjs-backend-wasm',
      version: '4.22.0',
      loads: true,
      device: 'CPU (wasm, 8 threads, SIMD)',
      reason: 'no oneDNN kernels: no g++',
      fix: 'apt-get install g++ libdnnl-dev && npm run build:native',
      auto: true,
      wasm: { threads: 8, simd: true, oneDnn: { active: false, reason: 'the oneDNN addon is not built' } },
    },
    {
      kind: 'cpu',
      backend: 'cpu',
      package: '@tensorflow/tfjs-backend-cpu',
      version: '4.22.0',
      loads: true,
      device: 'CPU (JavaScript)',
      reason: null,
      fix: null,
      auto: false,
    },
  ],
  auto: 'wasm',
  machine: { cpu: { model: 'AMD EPYC 9654', cores: 8 }, gpus: { names: ['NVIDIA H200'], reason: null } },
  node: { version: 'v22.12.0', required: '^20.19.0 || ^24.0.0', supported: false },
  npm: { version: '12.2.2', from: 'npm_config_user_agent', required: null, supported: null },
  database: {
    kind: 'embedded',
    dataDir: '/srv/lab/data',
    directory: '/srv/lab/data/postgres',
    created: true,
    running: true,
    pid: 4242,
    port: 54321,
    owner: { name: 'npm start', pid: 4200, startedAt: '2026-01-01T00:00:00.000Z' },
  },
};

describe('formatDoctorReport', () => {
  it('aligns one line per backend, with why not and the fix under it, then the machine, versions and database', () => {
    expect(formatDoctorReport(REPORT)).toBe(
      [
        'native GPU  no   @tensorflow/tfjs-node-gpu is installed without its native library (lib/napi-v8/tfjs_binding.node is missing)',
        '                 fix: npm rebuild @tensorflow/tfjs-node-gpu',
        'native CPU  no   @tensorflow/tfjs-node is not installed',
        '                 fix: npm install',
        'wasm        yes  CPU (wasm, 8 threads, SIMD)  <- --backend auto',
        '                 no oneDNN kernels: no g++',
        '                 fix: apt-get install g++ libdnnl-dev && npm run build:native',
        'cpu         yes  CPU (JavaScript)',
        '',
        'CPU         AMD EPYC 9654, 8 cores',
        'GPU         NVIDIA H200',
        'Node        v22.12.0, NOT supported (engines.node: ^20.19.0 || ^24.0.0)',
        'npm         12.2.2 (package.json gives no engines.npm)',
        'database    embedded PostgreSQL in /srv/lab/data/postgres: running (pid 4242, port 54321), started by npm start (pid 4200) at 2026-01-01T00:00:00.000Z',
        '',
      ].join('\n'),
    );
  });

  it('says where the database is not there yet, refused, or left without its owner', () => {
    const database = (value: DoctorReport['database']) =>
      formatDoctorReport({ ...REPORT, database: value })
        .trimEnd()
        .split('\n')
        .at(-1);
    const embedded = {
      kind: 'embedded' as const,
      dataDir: '/srv/lab/data',
      directory: '/srv/lab/data/postgres',
      pid: null,
      port: null,
      owner: null,
    };
    expect(database({ ...embedded, created: false, running: false })).toBe(
      'database    embedded PostgreSQL in /srv/lab/data/postgres: not created yet (npm start creates it)',
    );
    expect(database({ ...embedded, created: true, running: false })).toBe(
      'database    embedded PostgreSQL in /srv/lab/data/postgres: not running (npm start starts it)',
    );
    expect(database({ ...embedded, created: true, running: true, pid: 7, port: 5432 })).toBe(
      'database    embedded PostgreSQL in /srv/lab/data/postgres: running (pid 7, port 5432), its owner gone (the next npm start adopts it)',
    );
    expect(database({ kind: 'external', url: 'mysql://lab:***@db/x', problem: "unsupported scheme 'mysql:'" })).toBe(
      "database    DATABASE_URL mysql://lab:***@db/x: the API refuses it (unsupported scheme 'mysql:')",
    );
  });
});
