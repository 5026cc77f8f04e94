'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { ApiTokenControl } from '../ui/access/api-token-control';

const LINKS = [
  ['/', 'Runs'],
  ['/runs/new', 'New run'],
  ['/compare', 'Compare'],
  ['/models', 'Models'],
  ['/datasets', 'Datasets'],
  ['/predict', 'Predict'],
  ['/evaluate', 'Evaluate'],
  ['/workers', 'Workers'],
  ['/explorer', 'API explorer'],
] as const;

export function Nav({ apiUrl }: { apiUrl: string }) {
  const pathname = usePathname();
  return (
    <header className="nav">
      <Link href="/" className="brand">
        ResNet Lab
      </Link>
      <nav>
        {LINKS.map(([href, label]) => (
          <Link key={href} href={href} className={pathname === href ? 'active' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      <span className="api-url" title="The GraphQL API this dashboard talks to">
        {apiUrl}
      </span>
      <ApiTokenControl />
    </header>
  );
}
