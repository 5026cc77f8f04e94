'use client';
import { RouteError } from '../../ui/route-states/route-error';

export default function ErrorPage({ error, reset }: { error: Error; reset: () => void }) {
  return <RouteError error={error} reset={reset} what="compare" />;
}
