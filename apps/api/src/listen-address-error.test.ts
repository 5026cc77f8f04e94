import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { listenAddressError } from './listen-address-error.js';

const REFUSAL =
  'HOST: the API would listen on 0.0.0.0, where other machines can reach it, but API_TOKEN is not set, so anyone ' +
  'who reaches it could create models, start runs and register datasets. Set API_TOKEN (at least 8 characters) to ' +
  'require it for mutations, or HOST=127.0.0.1 to listen on this machine only.';

describe('listenAddressError', () => {
  it('refuses an address other machines reach when there is no token', () => {
    expect(listenAddressError({ host: '0.0.0.0', apiToken: null })?.message).toBe(REFUSAL);
    const refused = ['::', '10.0.0.5', '[fd00::5]', 'lab.example.com'].filter(
      (host) => listenAddressError({ host, apiToken: null }) !== null,
    );
    expect(refused).toEqual(['::', '10.0.0.5', '[fd00::5]', 'lab.example.com']);
  });

  it('allows loopback addresses without a token, and any address with one', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(listenAddressError({ host, apiToken: null }), host).toBeNull();
    }
    expect(listenAddressError({ host: '0.0.0.0', apiToken: 'a-long-secret' })).toBeNull();
  });

  it('stops resnet-lab-api with exit code 2 and the message', async () => {
    const bin = path.resolve(import.meta.dirname, '..', 'bin', 'resnet-lab-api.js');
    const env: NodeJS.ProcessEnv = { ...process.env, HOST: '0.0.0.0', PORT: '0' };
    delete env.API_TOKEN;
    const failure = await promisify(execFile)(process.execPath, [bin], { env }).then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 2, stdout: '', stderr: `Invalid configuration: ${REFUSAL}\n` });
  });
});
