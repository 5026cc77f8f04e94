'use client';
// The 404 of the dashboard and of its routes: what was not found, and where to go instead.
import Link from 'next/link';
import { useDocumentTitle } from '../../lib/use-document-title';

export function PageNotFound({ what, back }: { what: string; back: { href: string; label: string } }) {
  useDocumentTitle('Not found');
  return (
    <div className="state empty" data-testid="not-found">
      <h1>Not found</h1>
      <p>{what}</p>
      <p>
        <Link href={back.href}>{back.label}</Link>
      </p>
    </div>
  );
}
