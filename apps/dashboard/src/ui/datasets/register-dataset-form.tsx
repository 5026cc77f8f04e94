'use client';
// Registers a folder on the API's machine as a dataset: Preview shows what would be recorded (classes, images per
// split and class, a few images); Save records it. The API's errors appear next to the field they are about.
import { useState } from 'react';
import { ErrorMessage } from '../../components/states';
import type { DatasetFormat } from '../../generated/graphql';
import { useApi } from '../../lib/api-context';
import { PREVIEW_DATASET, REGISTER_DATASET } from '../../lib/documents';
import { ApiError } from '../../lib/graphql-client';
import { DATASET_FORMAT_LABELS, FOLDER_FORMATS } from './dataset-format';
import { DatasetPreview, type Preview } from './dataset-preview';

interface Values {
  readonly name: string;
  readonly format: DatasetFormat;
  readonly location: string;
  readonly description: string;
}

const EMPTY: Values = { name: '', format: 'IMAGE_FOLDER', location: '', description: '' };

/** `roots`: the directories the API takes folders under (DATASET_ROOTS); a relative path is taken from the first. */
export function RegisterDatasetForm({ roots, onRegistered }: { roots: readonly string[]; onRegistered: () => void }) {
  const api = useApi();
  const [values, setValues] = useState<Values>(EMPTY);
  // The preview of the format and location it was made for: changing either hides it until the next Preview.
  const [preview, setPreview] = useState<{ of: string; preview: Preview } | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<Error | null>(null);
  const [busy, setBusy] = useState<'preview' | 'save' | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const previewKey = `${values.format}\n${values.location}`;
  const current = preview?.of === previewKey ? preview.preview : null;

  const set = (field: keyof Values) => (event: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
    const value = event.target.value;
    setValues((previous) => ({ ...previous, [field]: value }));
  };

  const fail = (error: unknown) => {
    if (error instanceof ApiError && Object.keys(error.fieldErrors).length > 0) setErrors(error.fieldErrors);
    // A name already taken is about the name field, though the API cannot say so in a field of its error.
    else if (error instanceof ApiError && error.code === 'CONFLICT') setErrors({ name: error.message });
    else setFailure(error as Error);
  };

  const showPreview = async (event: React.FormEvent) => {
    event.preventDefault();
    setErrors({});
    setFailure(null);
    setSaved(null);
    setBusy('preview');
    try {
      const result = await api.mutate(PREVIEW_DATASET, {
        input: { format: values.format, location: values.location },
      });
      setPreview({ of: previewKey, preview: result.previewDataset });
    } catch (error) {
      setPreview(null);
      fail(error);
    } finally {
      setBusy(null);
    }
  };

  const save = async () => {
    setErrors({});
    setFailure(null);
    setBusy('save');
    try {
      const result = await api.mutate(REGISTER_DATASET, {
        input: {
          name: values.name,
          format: values.format,
          location: values.location,
          description: values.description === '' ? null : values.description,
        },
      });
      setSaved(result.registerDataset.name);
      setValues(EMPTY);
      setPreview(null);
      onRegistered();
    } catch (error) {
      fail(error);
    } finally {
      setBusy(null);
    }
  };

  const fieldError = (field: string) =>
    errors[field] ? (
      <span className="field-error" role="alert" data-field={field}>
        {errors[field]}
      </span>
    ) : null;

  return (
    <section className="card" aria-labelledby="register-dataset">
      <h2 id="register-dataset">Register a dataset</h2>
      <p className="hint">
        A folder on the API&apos;s machine under {roots.length === 1 ? 'the dataset root' : 'one of the dataset roots'}{' '}
        {roots.map((root, index) => (
          <span key={root}>
            {index > 0 ? ', ' : ''}
            <code>{root}</code>
          </span>
        ))}{' '}
        (<code>DATASET_ROOTS</code>; a relative path starts from the first). An image folder holds one subfolder of PNG
        or JPEG images per class, optionally split into <code>train/</code> and <code>test/</code>.
      </p>
      <form className="form" onSubmit={(event) => void showPreview(event)} noValidate>
        <label>
          Format
          <select name="format" value={values.format} onChange={set('format')}>
            {FOLDER_FORMATS.map((format) => (
              <option key={format} value={format}>
                {DATASET_FORMAT_LABELS[format]}
              </option>
            ))}
          </select>
          {fieldError('format')}
        </label>
        <label className="wide">
          Folder
          <input
            name="location"
            value={values.location}
            onChange={set('location')}
            placeholder={roots[0] ? `${roots[0]}/my-images` : 'my-images'}
            spellCheck={false}
          />
          {fieldError('location')}
        </label>
        <div className="actions">
          <button type="submit" disabled={busy !== null}>
            {busy === 'preview' ? 'Looking…' : 'Preview'}
          </button>
        </div>
        {current ? (
          <>
            <div className="wide-row">
              <DatasetPreview preview={current} />
            </div>
            <label>
              Name
              <input name="name" value={values.name} onChange={set('name')} spellCheck={false} />
              {fieldError('name')}
            </label>
            <label className="wide">
              Description (optional)
              <input name="description" value={values.description} onChange={set('description')} />
              {fieldError('description')}
            </label>
            <div className="actions">
              <button type="button" className="primary" disabled={busy !== null} onClick={() => void save()}>
                {busy === 'save' ? 'Saving…' : 'Save dataset'}
              </button>
            </div>
          </>
        ) : null}
      </form>
      {failure ? <ErrorMessage error={failure} /> : null}
      {saved ? (
        <p className="state" role="status">
          Registered dataset <strong>{saved}</strong>: runs can train on it now.
        </p>
      ) : null}
    </section>
  );
}
