'use client';
// The runs list's view, kept in the URL's query string (run-list-query.ts) with router.replace: a reload, a shared
// link, Back and Forward show the view the URL describes.
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useState } from 'react';
import { followRunListUrl, initialRunListView, requestRunListView, type RunListQuery } from './run-list-query';

/** The view, and a function that shows another (and puts it in the URL). Needs a Suspense boundary above it. */
export function useRunListQuery(): [RunListQuery, (next: RunListQuery) => void] {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const [view, setView] = useState(() => initialRunListView(params));
  const current = followRunListUrl(view, params);
  if (current !== view) setView(current);
  const show = (next: RunListQuery) => {
    const requested = requestRunListView(current, next);
    if (requested.url === null) return;
    setView(requested.view);
    router.replace(requested.url === '' ? pathname : `${pathname}?${requested.url}`, { scroll: false });
  };
  return [current.query, show];
}
