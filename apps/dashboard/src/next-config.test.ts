import { describe, expect, it } from 'vitest';
import config from '../next.config';

describe('next.config', () => {
  it('sends the framing, sniffing and referrer headers with every page', async () => {
    expect(await config.headers!()).toEqual([
      {
        source: '/:path*',
        headers: [
          { key: 'X-Frame-Options', value: 'SAMEORIGIN' },
          { key: 'Content-Security-Policy', value: "frame-ancestors 'self'" },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'no-referrer' },
        ],
      },
    ]);
  });
});
