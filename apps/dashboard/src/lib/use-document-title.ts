'use client';
// A page title known only after its data loads (a run's name): set on the document, as the route's metadata cannot.
import { useEffect } from 'react';

export const TITLE_SUFFIX = ' · ResNet Lab';

export function useDocumentTitle(title: string | undefined): void {
  useEffect(() => {
    if (title) document.title = `${title}${TITLE_SUFFIX}`;
  }, [title]);
}
