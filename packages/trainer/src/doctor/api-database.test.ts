import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiDatabase } from './api-database.js';

let dataDir: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-data-'));
});

afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A cluster as PostgreSQL leaves it while `pid` runs it on `port`, and the owner record the API writes. */
function writeRunningCluster(pid: number, ownerPid: number): void {
  fs.mkdirSync(path.join(dataDir, 'postgres'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'postgres', 'PG_VERSION'), '17\n');
  fs.writeFileSync(
    path.join(dataDir, 'postgres', 'postmaster.pid'),
    `${pid}\n${dataDir}/postgres\n1767225600\n54321\n/tmp\n127.0.0.1\n`,
  );
  fs.writeFileSync(
    path.join(dataDir, 'postgres.json'),
    JSON.stringify({ port: 54321, ownerPid, owner: 'npm start', startedAt: '2026-01-01T00:00:00.000Z' }),
  );
}

/** The pid of a process that has exited. */
function exitedPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

describe('apiDatabase', () => {
  it('is DATABASE_URL where it is set, without its password', () => {
    expect(apiDatabase({ DATABASE_URL: ' postgresql://lab:s3cret@db.internal:5432/resnet_lab ' }, dataDir)).toEqual({
      kind: 'external',
      url: 'postgresql://lab:***@db.internal:5432/resnet_lab',
      problem: null,
    });
  });

  it('says why the API would refuse a DATABASE_URL', () => {
    expect(apiDatabase({ DATABASE_URL: 'mysql://lab:s3cret@db/resnet_lab' }, dataDir)).toEqual({
      kind: 'external',
      url: 'mysql://lab:***@db/resnet_lab',
      problem: "unsupported scheme 'mysql:' (allowed: postgresql:, postgres:)",
    });
  });

  it('is the embedded server in ./data/postgres by default, not created before the first start', () => {
    expect(apiDatabase({ DATABASE_URL: '  ' }, dataDir)).toEqual({
      kind: 'embedded',
      dataDir: path.join(dataDir, 'data'),
      directory: path.join(dataDir, 'data', 'postgres'),
      created: false,
      running: false,
      pid: null,
      port: null,
      owner: null,
    });
  });

  it('says the server of DATA_DIR runs, with its pid, port and owner', () => {
    writeRunningCluster(process.pid, process.ppid);
    expect(apiDatabase({ DATA_DIR: dataDir }, '/')).toEqual({
      kind: 'embedded',
      dataDir,
      directory: path.join(dataDir, 'postgres'),
      created: true,
      running: true,
      pid: process.pid,
      port: 54321,
      owner: { name: 'npm start', pid: process.ppid, startedAt: '2026-01-01T00:00:00.000Z' },
    });
  });

  it('says a server left by an owner that exited runs without one, and a stopped one does not run', () => {
    writeRunningCluster(process.pid, exitedPid());
    expect(apiDatabase({ DATA_DIR: dataDir })).toMatchObject({ running: true, pid: process.pid, owner: null });
    writeRunningCluster(exitedPid(), process.pid);
    expect(apiDatabase({ DATA_DIR: dataDir })).toMatchObject({ created: true, running: false, pid: null, owner: null });
  });
});
