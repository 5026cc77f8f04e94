// Next.js configuration of the dashboard. Nothing is fetched from the internet at build or run time: no
// next/font/google, no remote images.
import path from 'node:path';
import type { NextConfig } from 'next';

const config: NextConfig = {
  reactStrictMode: true,
  // The monorepo root holds the lockfile and node_modules.
  turbopack: { root: path.join(import.meta.dirname, '..', '..') },
  outputFileTracingRoot: path.join(import.meta.dirname, '..', '..'),
};

export default config;
