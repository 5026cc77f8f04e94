// What a route shows while its code and first data load (the route segments' loading.tsx).
export function RouteLoading({ what }: { what: string }) {
  return (
    <p className="state" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}
