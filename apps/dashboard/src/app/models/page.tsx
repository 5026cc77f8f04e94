'use client';
// Models: each architecture's per-stage summary (as in the paper's table), its runs, versions and aliases; and a
// form to create one.
import Link from 'next/link';
import { useState } from 'react';
import { StatusBadge } from '../../components/run-status';
import { Empty, ErrorMessage, QueryView } from '../../components/states';
import { useApi, useQuery } from '../../lib/api-context';
import { CREATE_MODEL, MODELS } from '../../lib/documents';
import { ApiError } from '../../lib/graphql-client';
import { compact, count, percent } from '../../lib/format';

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
            list.map((model) => (
              <section key={model.id} className="card" data-testid={`model-${model.name}`}>
                <h2>{model.name}</h2>
                <p>
                  {model.architecture.arch}, {model.architecture.stem} stem, width {model.architecture.width},{' '}
                  {model.architecture.classes} classes, {model.architecture.inputSize}x{model.architecture.inputSize}{' '}
                  input · {count(model.parameterCount)} parameters · {compact(model.macs)} MACs per image
                  {model.description ? ` · ${model.description}` : ''}
                </p>
                <table>
                  <thead>
                    <tr>
                      <th>Layer</th>
                      <th>Output</th>
                      <th className="number">Channels</th>
                      <th>Structure</th>
                      <th className="number">Parameters</th>
                      <th className="number">MACs</th>
                    </tr>
                  </thead>
                  <tbody>
                    {model.stages.map((stage) => (
                      <tr key={stage.name}>
                        <td>{stage.name}</td>
                        <td>
                          {stage.outputSize}x{stage.outputSize}
                        </td>
                        <td className="number">{stage.channels}</td>
                        <td>{stage.description}</td>
                        <td className="number">{count(stage.parameters)}</td>
                        <td className="number">{count(stage.macs)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <h3>Versions</h3>
                {model.versions.length === 0 ? (
                  <p className="state">None yet: promote a checkpoint from a run&apos;s page.</p>
                ) : (
                  <table data-testid={`versions-${model.name}`}>
                    <tbody>
                      {model.versions.map((version) => (
                        <tr key={version.id}>
                          <td>v{version.version}</td>
                          <td>{version.aliases.join(', ')}</td>
                          <td>
                            <Link href={`/runs/${version.checkpoint.run.id}`}>{version.checkpoint.run.name}</Link>,
                            epoch {version.checkpoint.epoch}
                          </td>
                          <td className="number">{percent(version.checkpoint.testAccuracy, 2)}</td>
                          <td>
                            <Link href={`/predict?checkpoint=${version.checkpoint.id}`}>Predict</Link>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
                <h3>Runs</h3>
                {model.runs.length === 0 ? (
                  <p className="state">
                    None yet: <Link href="/runs/new">start one</Link>.
                  </p>
                ) : (
                  <ul>
                    {model.runs.map((run) => (
                      <li key={run.id}>
                        <Link href={`/runs/${run.id}`}>{run.name}</Link> <StatusBadge status={run.status} />{' '}
                        {percent(run.bestTestAccuracy, 2)}
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            ))
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
      await api.request(CREATE_MODEL, {
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
