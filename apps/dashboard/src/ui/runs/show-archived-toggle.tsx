'use client';
// The runs list's switch between the runs in use and the archived ones (archiveRun), kept in the URL with the other
// filters (lib/run-list-query.ts: `archived=1`).

export interface ShowArchivedToggleProps {
  /** Whether the list shows archived runs (only those) instead of the others. */
  readonly archived: boolean;
  readonly onChange: (archived: boolean) => void;
}

export function ShowArchivedToggle({ archived, onChange }: ShowArchivedToggleProps) {
  return (
    <label className="checkbox" title="List the archived runs instead of the others">
      <input type="checkbox" name="archived" checked={archived} onChange={(event) => onChange(event.target.checked)} />{' '}
      Show archived
    </label>
  );
}
