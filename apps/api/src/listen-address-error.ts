// The API refuses to listen where other machines reach it unless mutations need a token: without API_TOKEN anyone
// on the network could create models, start runs and register datasets.
import net from 'node:net';
import { ConfigError, type ApiConfig } from './config.js';

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** The error to stop with when HOST is reachable from other machines and API_TOKEN is not set; else null. */
export function listenAddressError(config: Pick<ApiConfig, 'host' | 'apiToken'>): ConfigError | null {
  if (config.apiToken !== null || isLoopbackHost(config.host)) return null;
  return new ConfigError(
    'HOST',
    `the API would listen on ${config.host}, where other machines can reach it, but API_TOKEN is not set, so ` +
      'anyone who reaches it could create models, start runs and register datasets. Set API_TOKEN (at least 8 ' +
      'characters) to require it for mutations, or HOST=127.0.0.1 to listen on this machine only.',
  );
}

/** Whether only this machine can reach `host`: localhost, 127.0.0.0/8 or ::1. */
function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost') return true;
  const family = net.isIP(name);
  return family !== 0 && LOOPBACK.check(name, family === 4 ? 'ipv4' : 'ipv6');
}
