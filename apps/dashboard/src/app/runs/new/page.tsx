'use client';
// New run: a form checked before it is sent; the API's field errors appear next to their fields.
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { ErrorMessage, QueryView } from '../../../components/states';
import { useApi, useQuery } from '../../../lib/api-context';
import { NEW_RUN_OPTIONS, START_RUN } from '../../../lib/documents';
import { ApiError } from '../../../lib/graphql-client';
import {
  INITS,
  RUN_FORM_DEFAULTS,
  SCHEDULES,
  validateRunForm,
  type RunFormErrors,
  type RunFormValues,
} from '../../../lib/run-form';

export default function NewRunPage() {
  const api = useApi();
  const router = useRouter();
  const options = useQuery(NEW_RUN_OPTIONS, {});
  const [values, setValues] = useState<RunFormValues>(RUN_FORM_DEFAULTS);
  const [errors, setErrors] = useState<RunFormErrors & Record<string, string | undefined>>({});
  const [failure, setFailure] = useState<Error | null>(null);
  const [sending, setSending] = useState(false);

  const set = (field: keyof RunFormValues) => (event: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
    const value =
      event.target instanceof HTMLInputElement && event.target.type === 'checkbox'
        ? event.target.checked
        : event.target.value;
    setValues((previous) => ({ ...previous, [field]: value }));
  };

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setFailure(null);
    const checked = validateRunForm(values);
    if ('errors' in checked) return setErrors(checked.errors);
    setErrors({});
    setSending(true);
    try {
      const result = await api.mutate(START_RUN, { input: checked.input });
      router.push(`/runs/${result.startRun.id}`);
    } catch (error) {
      if (error instanceof ApiError && Object.keys(error.fieldErrors).length > 0) setErrors(error.fieldErrors);
      else setFailure(error as Error);
      setSending(false);
    }
  };

  const field = (name: keyof RunFormValues, label: string, input: React.ReactNode) => (
    <label>
      {label}
      {input}
      {errors[name] && (
        <span className="field-error" role="alert" data-field={name}>
          {errors[name]}
        </span>
      )}
    </label>
  );
  const text = (name: keyof RunFormValues, label: string, inputMode: 'numeric' | 'decimal' | 'text' = 'decimal') =>
    field(name, label, <input name={name} inputMode={inputMode} value={String(values[name])} onChange={set(name)} />);

  return (
    <>
      <h1>New run</h1>
      <QueryView state={options} what="models and datasets">
        {(data) =>
          data.models.length === 0 ? (
            <p className="state empty">
              No models yet. <Link href="/models">Create a model</Link> first.
            </p>
          ) : (
            <form className="form" onSubmit={(event) => void submit(event)} noValidate>
              {field(
                'modelName',
                'Model',
                <select name="modelName" value={values.modelName} onChange={set('modelName')}>
                  <option value="">choose…</option>
                  {data.models.map((model) => (
                    <option key={model.name} value={model.name}>
                      {model.name} ({model.architecture.arch}, {model.architecture.classes} classes,{' '}
                      {model.architecture.inputSize}px)
                    </option>
                  ))}
                </select>,
              )}
              {field(
                'datasetName',
                'Dataset',
                <select name="datasetName" value={values.datasetName} onChange={set('datasetName')}>
                  <option value="">choose…</option>
                  {data.datasets.map((dataset) => (
                    <option
                      key={dataset.name}
                      value={dataset.name}
                      disabled={!dataset.available}
                      title={dataset.unavailableReason ?? ''}
                    >
                      {dataset.name} ({dataset.classNames.length} classes
                      {dataset.imageSize ? `, ${dataset.imageSize}px` : ''})
                      {dataset.available ? '' : ' – not available'}
                    </option>
                  ))}
                </select>,
              )}
              {text('name', 'Run name (optional)', 'text')}
              {text('epochs', 'Epochs', 'numeric')}
              {text('batchSize', 'Batch size', 'numeric')}
              {text('learningRate', 'Learning rate')}
              {field(
                'schedule',
                'Schedule',
                <select name="schedule" value={values.schedule} onChange={set('schedule')}>
                  {SCHEDULES.map((schedule) => (
                    <option key={schedule}>{schedule}</option>
                  ))}
                </select>,
              )}
              {text('momentum', 'Momentum')}
              {text('weightDecay', 'Weight decay')}
              {field(
                'init',
                'Initialization',
                <select name="init" value={values.init} onChange={set('init')}>
                  <option value="">default by stem (pytorch-default for cifar, torchvision for imagenet)</option>
                  {INITS.map((init) => (
                    <option key={init}>{init}</option>
                  ))}
                </select>,
              )}
              {text('seed', 'Seed', 'numeric')}
              <label className="checkbox">
                <input type="checkbox" name="augment" checked={values.augment} onChange={set('augment')} /> Augmentation
                (random crop and flip)
              </label>
              <div>
                <button type="submit" className="primary" disabled={sending}>
                  {sending ? 'Starting…' : 'Start run'}
                </button>
              </div>
              {failure && <ErrorMessage error={failure} />}
            </form>
          )
        }
      </QueryView>
    </>
  );
}
