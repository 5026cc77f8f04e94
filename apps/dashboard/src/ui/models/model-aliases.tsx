'use client';
// A model's aliases on the Models page: each with the version it points at, which a select moves (setModelAlias), and
// a Remove button (removeModelAlias); and a form that points a new alias at a version.
import { useId, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../components/states';
import type { ModelsQuery } from '../../generated/graphql';
import { useApi } from '../../lib/api-context';
import { REMOVE_MODEL_ALIAS, SET_MODEL_ALIAS } from '../../lib/documents';
import { ApiError } from '../../lib/graphql-client';
import styles from './registry.module.css';

type Model = ModelsQuery['models'][number];

/** As the API allows: see SetModelAliasInput. */
const MAX_ALIAS_LENGTH = 50;

export function ModelAliases({ model, onChanged }: { model: Model; onChanged: () => void }) {
  const api = useApi();
  const ids = useId();
  const [alias, setAlias] = useState('');
  const [version, setVersion] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [aliasError, setAliasError] = useState<string | null>(null);
  if (model.versions.length === 0) return null;

  const act = async (action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    setAliasError(null);
    try {
      await action();
      onChanged();
      return true;
    } catch (failure) {
      const field = failure instanceof ApiError ? failure.fieldErrors.alias : undefined;
      if (field) setAliasError(field);
      else setError(failure as Error);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const point = (name: string, number: number) =>
    act(() => api.mutate(SET_MODEL_ALIAS, { input: { modelId: model.id, alias: name, version: number } }));
  const add = async (event: FormEvent) => {
    event.preventDefault();
    const number = Number(version || model.versions[0]!.version);
    if (await point(alias.trim(), number)) setAlias('');
  };

  return (
    <section aria-labelledby={`${ids}-heading`} data-testid={`aliases-${model.name}`}>
      <h3 id={`${ids}-heading`}>Aliases</h3>
      {model.aliases.length === 0 ? (
        <p className={styles.hint}>None yet: point one at a version below, e.g. production.</p>
      ) : (
        <ul className={styles.aliases}>
          {model.aliases.map((entry) => (
            <li key={entry.alias} className={styles.alias} data-alias={entry.alias}>
              <span className={styles.aliasName}>{entry.alias}</span>
              <span aria-hidden="true">→</span>
              <select
                aria-label={`Version of alias ${entry.alias}`}
                value={entry.version.version}
                disabled={busy}
                onChange={(event) => void point(entry.alias, Number(event.target.value))}
              >
                {model.versions.map((option) => (
                  <option key={option.id} value={option.version}>
                    v{option.version}
                  </option>
                ))}
              </select>
              <button
                type="button"
                disabled={busy}
                aria-label={`Remove alias ${entry.alias}`}
                onClick={() =>
                  void act(() => api.mutate(REMOVE_MODEL_ALIAS, { modelId: model.id, alias: entry.alias }))
                }
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className={styles.row} onSubmit={(event) => void add(event)}>
        <label>
          New alias
          <input
            name="alias"
            value={alias}
            maxLength={MAX_ALIAS_LENGTH}
            autoComplete="off"
            aria-describedby={`${ids}-hint`}
            aria-invalid={aliasError !== null}
            onChange={(event) => (setAlias(event.target.value), setAliasError(null))}
          />
        </label>
        <label>
          Version
          <select
            name="version"
            value={version || String(model.versions[0]!.version)}
            onChange={(event) => setVersion(event.target.value)}
          >
            {model.versions.map((option) => (
              <option key={option.id} value={option.version}>
                v{option.version}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy || alias.trim() === ''}>
          Set alias
        </button>
        <span id={`${ids}-hint`} className={styles.hint}>
          1 to {MAX_ALIAS_LENGTH} letters, digits, - _ or .; an alias that exists moves to the version.
        </span>
      </form>
      {aliasError && (
        <p className="state error" role="alert">
          {aliasError}
        </p>
      )}
      {error && <ErrorMessage error={error} />}
    </section>
  );
}
