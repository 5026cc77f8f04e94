'use client';
// A model version's description on the Models page, with Edit: a text area saved with updateModelVersion.
import { useState } from 'react';
import { ErrorMessage } from '../../components/states';
import { useApi } from '../../lib/api-context';
import { UPDATE_MODEL_VERSION } from '../../lib/documents';
import styles from './registry.module.css';

/** As the API allows: see UpdateModelVersionInput. */
const MAX_DESCRIPTION_LENGTH = 2_000;

export interface VersionDescriptionProps {
  readonly version: { readonly id: string; readonly version: number; readonly description: string };
  /** Called once the description was saved. */
  readonly onChanged: () => void;
}

export function VersionDescription({ version, onChanged }: VersionDescriptionProps) {
  const api = useApi();
  /** The description as being edited; null while not editing. */
  const [draft, setDraft] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  if (draft === null) {
    return (
      <div className={styles.description}>
        {version.description === '' ? <span className={styles.hint}>No description.</span> : version.description}{' '}
        <button
          type="button"
          aria-label={`Edit the description of v${version.version}`}
          onClick={() => setDraft(version.description)}
        >
          Edit
        </button>
      </div>
    );
  }
  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      await api.mutate(UPDATE_MODEL_VERSION, { input: { id: version.id, description: draft } });
      setDraft(null);
      onChanged();
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setSaving(false);
    }
  };
  return (
    <div className={styles.description}>
      <label>
        Description of v{version.version}
        <textarea
          name="description"
          value={draft}
          maxLength={MAX_DESCRIPTION_LENGTH}
          onChange={(event) => setDraft(event.target.value)}
        />
      </label>
      <div className={styles.row}>
        <button type="button" className="primary" disabled={saving} onClick={() => void save()}>
          Save
        </button>
        <button type="button" disabled={saving} onClick={() => (setDraft(null), setError(null))}>
          Cancel
        </button>
        <span className={styles.hint}>
          {draft.length} / {MAX_DESCRIPTION_LENGTH}
        </span>
      </div>
      {error && <ErrorMessage error={error} />}
    </div>
  );
}
