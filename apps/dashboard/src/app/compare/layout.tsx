// The Compare route's title; the page itself is a client component.
import type { Metadata } from 'next';

export const metadata: Metadata = { title: 'Compare' };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
