'use client';
// Deleting from the Models page, each after a confirm: a model version (deleteModelVersion, its aliases with it) and a
// whole model (deleteModel, which the API refuses, with its reason shown here, while runs or versions refer to it).
import { useState } from 'react';
import { ConfirmButton } from '../../components/confirm-button';
import { ErrorMessage } from '../../components/states';
import { useApi } from '../../lib/api-context';
import { DELETE_MODEL, DELETE_MODEL_VERSION } from '../../lib/documents';

export function DeleteVersionButton({
  version,
  modelName,
  onDeleted,
}: {
  version: { readonly id: string; readonly version: number };
  modelName: string;
  onDeleted: () => void;
}) {
  const api = useApi();
  const [error, setError] = useState<Error | null>(null);
  return (
    <>
      <ConfirmButton
        label="Delete"
        confirmLabel={`Delete v${version.version}`}
        question={`Delete ${modelName} v${version.version}, its aliases and its registry copy of the weights?`}
        onConfirm={async () => {
          setError(null);
          try {
            await api.mutate(DELETE_MODEL_VERSION, { id: version.id });
            onDeleted();
          } catch (failure) {
            setError(failure as Error);
          }
        }}
      />
      {error && <ErrorMessage error={error} />}
    </>
  );
}

export function DeleteModelButton({
  model,
  onDeleted,
}: {
  model: { readonly id: string; readonly name: string };
  onDeleted: () => void;
}) {
  const api = useApi();
  const [error, setError] = useState<Error | null>(null);
  return (
    <div>
      <ConfirmButton
        label="Delete model"
        question={`Delete model '${model.name}'? This cannot be undone.`}
        onConfirm={async () => {
          setError(null);
          try {
            await api.mutate(DELETE_MODEL, { id: model.id });
            onDeleted();
          } catch (failure) {
            setError(failure as Error);
          }
        }}
      />
      {error && <ErrorMessage error={error} />}
    </div>
  );
}
