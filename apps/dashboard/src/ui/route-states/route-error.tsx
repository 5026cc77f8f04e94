'use client';
// What a route shows when rendering it failed (the route segments' error.tsx): the message, and a way to try again
// without reloading the whole dashboard.
import { useEffect } from 'react';

export function RouteError({ error, reset, what }: { error: Error; reset: () => void; what: string }) {
  useEffect(() => {
    console.warn(`The ${what} page failed:`, error);
  }, [error, what]);
  return (
    <div className="state error" role="alert">
      <p>
        <strong>The {what} page failed.</strong> {error.message}
      </p>
      <button onClick={reset}>Try again</button>
    </div>
  );
}
