// The Host header check that stops DNS rebinding: a page of evil.example whose name the attacker re-points at
// 127.0.0.1 reaches the API with `Host: evil.example`, so the API answers only the names it is known by.
import type { ApiConfig } from '../config.js';

/** Addresses that mean "every interface": a browser never names them in a Host header it should be trusted with. */
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

/**
 * The host names the API answers: `config.allowedHosts` (loopback names and ALLOWED_HOSTS), plus the address it
 * listens on when HOST names one (HOST=10.0.0.5 is reached as http://10.0.0.5:4000 without listing it again).
 */
export function servedHostNames(config: Pick<ApiConfig, 'allowedHosts' | 'host'>): readonly string[] | '*' {
  if (config.allowedHosts === '*') return '*';
  const names = config.allowedHosts.map(normalize);
  const bound = normalize(config.host);
  if (!WILDCARD_ADDRESSES.has(bound) && !names.includes(bound)) names.push(bound);
  return names;
}

/**
 * Whether a Host header names one of `allowed` (port ignored, case-insensitive, `*.suffix` for its subdomains) or
 * is the IP address the request arrived at: a page that names the server by its address (http://10.0.0.5:4000)
 * has that address as its origin, so no other site's page can read the answers.
 */
export function isAllowedHost(hostHeader: string, allowed: readonly string[] | '*', localAddress?: string): boolean {
  if (allowed === '*') return true;
  const name = hostName(hostHeader);
  if (localAddress !== undefined && name === unmapped(localAddress.toLowerCase())) return true;
  return allowed.some((entry) =>
    entry.startsWith('*.') ? name.endsWith(entry.slice(1)) && name.length > entry.length - 1 : name === entry,
  );
}

/** The host name of a Host header value: 'LocalHost:4000' -> 'localhost', '[::1]:4000' -> '::1'. */
export function hostName(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(1, end);
  }
  const colon = value.indexOf(':');
  // More than one colon: a bare IPv6 address (not valid in a Host header, but unambiguous).
  if (colon !== value.lastIndexOf(':')) return value;
  return normalize(colon === -1 ? value : value.slice(0, colon));
}

function normalize(name: string): string {
  const lower = name.trim().toLowerCase();
  const unbracketed = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  // 'localhost.' is the same name as 'localhost'.
  return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed;
}

/** An IPv4-mapped IPv6 address ('::ffff:10.0.0.5', a dual-stack server's view of an IPv4 client) as IPv4. */
export function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}
