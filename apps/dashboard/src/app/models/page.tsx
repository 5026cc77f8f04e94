'use client';
// Models: each architecture's per-stage summary (as in the paper's table), its newest runs, versions and aliases;
// and a form to create one.
import { useState } from 'react';
import { Empty, ErrorMessage, QueryView } from '../../components/states';
import { useApi, useQuery } from '../../lib/api-context';
import { CREATE_MODEL, MODELS } from '../../lib/documents';
import { ApiError } from '../../lib/graphql-client';
import { ModelCard } from '../../ui/models/model-card';

const ARCHS = ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'];

export default function ModelsPage() {
  const models = useQuery(MODELS, {});
  return (
    <>
      <h1>Models</h1>
      <CreateModel onCreated={models.refetch} />
      <QueryView state={models} what="models">
        {({ models: list }) =>
          list.length === 0 ? (
            <Empty>No models yet: create one above.</Empty>
          ) : (
            list.map((model) => <ModelCard key={model.id} model={model} onChanged={models.refetch} />)
          )
        }
      </QueryView>
    </>
  );
}

function CreateModel({ onCreated }: { onCreated: () => void }) {
  const api = useApi();
  const [values, setValues] = useState({
    name: '',
    arch: 'resnet18',
    stem: 'cifar',
    width: '1',
    classes: '10',
    inputSize: '32',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<Error | null>(null);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setErrors({});
    setFailure(null);
    try {
      await api.mutate(CREATE_MODEL, {
        input: {
          name: values.name,
          arch: values.arch,
          stem: values.stem,
          width: Number(values.width),
          classes: Number(values.classes),
          inputSize: Number(values.inputSize),
        },
      });
      setValues((previous) => ({ ...previous, name: '' }));
      onCreated();
    } catch (error) {
      if (error instanceof ApiError && Object.keys(error.fieldErrors).length > 0) setErrors(error.fieldErrors);
      else setFailure(error as Error);
    }
  };
  const input = (name: keyof typeof values, label: string) => (
    <label>
      {label}
      <input
        name={name}
        value={values[name]}
        onChange={(event) => setValues((previous) => ({ ...previous, [name]: event.target.value }))}
      />
      {errors[name] && <span className="field-error">{errors[name]}</span>}
    </label>
  );
  return (
    <form className="form card" onSubmit={(event) => void submit(event)}>
      {input('name', 'Name')}
      <label>
        Architecture
        <select
          value={values.arch}
          onChange={(event) => setValues((previous) => ({ ...previous, arch: event.target.value }))}
        >
          {ARCHS.map((arch) => (
            <option key={arch}>{arch}</option>
          ))}
        </select>
      </label>
      <label>
        Stem
        <select
          value={values.stem}
          onChange={(event) => setValues((previous) => ({ ...previous, stem: event.target.value }))}
        >
          <option>cifar</option>
          <option>imagenet</option>
        </select>
      </label>
      {input('width', 'Width')}
      {input('classes', 'Classes')}
      {input('inputSize', 'Input size')}
      <div>
        <button className="primary" type="submit">
          Create model
        </button>
      </div>
      {failure && <ErrorMessage error={failure} />}
    </form>
  );
}
