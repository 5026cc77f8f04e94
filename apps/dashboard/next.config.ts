// Next.js configuration of the dashboard. Nothing is fetched from the internet at build or run time: no
// next/font/google, no remote images.
import path from 'node:path';
import type { NextConfig } from 'next';

/**
 * Sent with every page: no other site may frame the dashboard (and trick a click on its buttons), browsers must not
 * guess content types, and the API and other sites do not learn from the Referer which run a user looked at.
 */
const SECURITY_HEADERS = [
  { key: 'X-Frame-Options', value: 'SAMEORIGIN' },
  { key: 'Content-Security-Policy', value: "frame-ancestors 'self'" },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'no-referrer' },
];

const config: NextConfig = {
  reactStrictMode: true,
  headers: () => Promise.resolve([{ source: '/:path*', headers: SECURITY_HEADERS }]),
  // The monorepo root holds the lockfile and node_modules.
  turbopack: { root: path.join(import.meta.dirname, '..', '..') },
  outputFileTracingRoot: path.join(import.meta.dirname, '..', '..'),
};

export default config;
