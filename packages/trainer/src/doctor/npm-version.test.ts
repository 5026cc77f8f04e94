import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { npmVersion } from './npm-version.js';

describe('npmVersion', () => {
  it('reads the npm that started this process from its user agent', async () => {
    const env = { npm_config_user_agent: 'npm/12.2.2 node/v24.11.0 linux x64 workspaces/false' };
    expect(await npmVersion(env, '/nonexistent/npm')).toEqual({ version: '12.2.2', from: 'npm_config_user_agent' });
  });

  it('asks npm where another tool (or none) started this process', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-npm-'));
    const command = path.join(directory, 'npm');
    fs.writeFileSync(command, '#!/bin/sh\necho 11.19.1\n', { mode: 0o755 });
    const env = { npm_config_user_agent: 'pnpm/9.0.0 npm/? node/v24.11.0 linux x64' };
    expect(await npmVersion(env, command)).toEqual({ version: '11.19.1', from: 'npm --version' });
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('says npm is missing where it is', async () => {
    expect(await npmVersion({}, '/nonexistent/npm')).toEqual({
      version: null,
      reason: '/nonexistent/npm not found on PATH',
    });
  });
});
