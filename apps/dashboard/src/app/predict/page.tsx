'use client';
// Predict: pick a model version (or come with ?checkpoint=), drop or choose an image, see the top classes.
import { useSearchParams } from 'next/navigation';
import { Suspense, useEffect, useState } from 'react';
import { ProbabilityBars } from '../../components/charts';
import { Empty, ErrorMessage, QueryView } from '../../components/states';
import type { PredictMutation } from '../../generated/graphql';
import { useApi, useQuery } from '../../lib/api-context';
import { PREDICT, PREDICT_OPTIONS } from '../../lib/documents';

type Prediction = PredictMutation['predict'];

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () =>
      resolve(typeof reader.result === 'string' ? reader.result.replace(/^data:[^,]*;base64,/, '') : '');
    reader.onerror = () => reject(reader.error ?? new Error('Could not read the file.'));
    reader.readAsDataURL(file);
  });
}

function Predict() {
  const api = useApi();
  const fromQuery = useSearchParams().get('checkpoint');
  const options = useQuery(PREDICT_OPTIONS, {});
  const [checkpointId, setCheckpointId] = useState(fromQuery ?? '');
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [prediction, setPrediction] = useState<Prediction | null>(null);
  const [failure, setFailure] = useState<Error | null>(null);
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!file) return;
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  const predict = async (chosen: File, target: string) => {
    setFailure(null);
    setPrediction(null);
    setBusy(true);
    try {
      const imageBase64 = await readAsBase64(chosen);
      const result = await api.mutate(PREDICT, {
        input: { checkpointId: target, imageBase64 },
      });
      setPrediction(result.predict);
    } catch (error) {
      setFailure(error as Error);
    } finally {
      setBusy(false);
    }
  };
  const choose = (chosen: File | undefined) => {
    if (!chosen) return;
    setFile(chosen);
    if (checkpointId) void predict(chosen, checkpointId);
  };

  return (
    <QueryView state={options} what="model versions">
      {({ models }) => {
        const versions = models.flatMap((model) =>
          model.versions.map((version) => ({ model: model.name, ...version })),
        );
        return (
          <>
            <div className="toolbar">
              <label>
                Model version
                <select
                  name="checkpoint"
                  value={checkpointId}
                  onChange={(event) => setCheckpointId(event.target.value)}
                >
                  <option value="">choose…</option>
                  {fromQuery && !versions.some((version) => version.checkpoint.id === fromQuery) && (
                    <option value={fromQuery}>checkpoint {fromQuery}</option>
                  )}
                  {versions.map((version) => (
                    <option key={`${version.model}-${version.version}`} value={version.checkpoint.id}>
                      {version.model} v{version.version}
                      {version.aliases.length ? ` (${version.aliases.join(', ')})` : ''}, epoch{' '}
                      {version.checkpoint.epoch}
                    </option>
                  ))}
                </select>
              </label>
              {file && checkpointId && (
                <button disabled={busy} onClick={() => void predict(file, checkpointId)}>
                  Predict again
                </button>
              )}
            </div>
            {versions.length === 0 && !fromQuery ? (
              <Empty>
                No model versions yet: promote a checkpoint from a run&apos;s page, or open Predict from a checkpoint.
              </Empty>
            ) : (
              <div
                className={`drop${over ? ' over' : ''}`}
                onDragOver={(event) => (event.preventDefault(), setOver(true))}
                onDragLeave={() => setOver(false)}
                onDrop={(event) => {
                  event.preventDefault();
                  setOver(false);
                  choose(event.dataTransfer.files[0]);
                }}
              >
                <p>Drop a PNG or JPEG image here, or</p>
                <input
                  type="file"
                  name="image"
                  accept="image/png,image/jpeg"
                  disabled={!checkpointId}
                  onChange={(event) => choose(event.target.files?.[0])}
                />
                {!checkpointId && <p className="state">Choose a model version first.</p>}
              </div>
            )}
            {failure && <ErrorMessage error={failure} />}
            <div className="grid" style={{ marginTop: 16 }}>
              {preview && (
                <figure className="chart">
                  <figcaption>{file?.name}</figcaption>
                  <img className="preview" src={preview} alt="The image to classify" width={192} />
                </figure>
              )}
              {busy && <p className="state">Classifying…</p>}
              {prediction && (
                <div>
                  <ProbabilityBars testId="prediction-chart" data={prediction.topK} />
                  <p className="state" data-testid="prediction-summary">
                    Top class: <strong>{prediction.topK[0]?.label}</strong> (
                    {((prediction.topK[0]?.probability ?? 0) * 100).toFixed(1)}%) · {prediction.latencyMs.toFixed(1)} ms
                    {prediction.cached ? ' (model already loaded)' : ' (model loaded for this request)'}
                  </p>
                </div>
              )}
            </div>
          </>
        );
      }}
    </QueryView>
  );
}

export default function PredictPage() {
  return (
    <>
      <h1>Predict</h1>
      <Suspense>
        <Predict />
      </Suspense>
    </>
  );
}
