// The New run route's title; the page itself is a client component.
import type { Metadata } from 'next';

export const metadata: Metadata = { title: 'New run' };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
