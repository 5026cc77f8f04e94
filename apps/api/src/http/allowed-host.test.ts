import { describe, expect, it } from 'vitest';
import { LOOPBACK_HOSTS } from '../config.js';
import { hostName, isAllowedHost, servedHostNames } from './allowed-host.js';

describe('hostName', () => {
  it.each([
    ['localhost', 'localhost'],
    ['LocalHost:4000', 'localhost'],
    ['127.0.0.1:4000', '127.0.0.1'],
    ['[::1]:4000', '::1'],
    ['[::1]', '::1'],
    ['lab.example.com.', 'lab.example.com'],
  ])('%s -> %s', (header, name) => {
    expect(hostName(header)).toBe(name);
  });
});

describe('isAllowedHost', () => {
  const allowed = ['localhost', '::1', 'lab.example.com', '*.lab.internal'];

  it('matches names and *. subdomains, not look-alikes', () => {
    const verdicts = Object.fromEntries(
      [
        'localhost:4000',
        '[::1]:4000',
        'LAB.example.com',
        'gpu.lab.internal:4000',
        'a.b.lab.internal',
        'lab.internal',
        'evillab.internal',
        'lab.example.com.evil.example',
        'evil.example',
      ].map((host) => [host, isAllowedHost(host, allowed)]),
    );
    expect(verdicts).toEqual({
      'localhost:4000': true,
      '[::1]:4000': true,
      'LAB.example.com': true,
      'gpu.lab.internal:4000': true,
      'a.b.lab.internal': true,
      'lab.internal': false,
      'evillab.internal': false,
      'lab.example.com.evil.example': false,
      'evil.example': false,
    });
  });

  it('answers the IP address the request arrived at, IPv4-mapped or not, and any host for *', () => {
    expect(isAllowedHost('10.0.0.5:4000', allowed, '10.0.0.5')).toBe(true);
    expect(isAllowedHost('10.0.0.5:4000', allowed, '::ffff:10.0.0.5')).toBe(true);
    expect(isAllowedHost('10.0.0.6:4000', allowed, '10.0.0.5')).toBe(false);
    expect(isAllowedHost('evil.example', '*')).toBe(true);
  });
});

describe('servedHostNames', () => {
  it('adds the address HOST names, but not an every-interface one', () => {
    const defaults = { allowedHosts: LOOPBACK_HOSTS };
    expect(servedHostNames({ ...defaults, host: '127.0.0.1' })).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(servedHostNames({ ...defaults, host: 'Lab.Local' })).toEqual(['localhost', '127.0.0.1', '::1', 'lab.local']);
    expect(servedHostNames({ ...defaults, host: '0.0.0.0' })).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(servedHostNames({ ...defaults, host: '::' })).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(servedHostNames({ allowedHosts: [...LOOPBACK_HOSTS, '[fd00::5]'], host: 'fd00::5' })).toEqual([
      'localhost',
      '127.0.0.1',
      '::1',
      'fd00::5',
    ]);
    expect(servedHostNames({ allowedHosts: '*', host: '10.0.0.5' })).toBe('*');
  });
});
