// One dataset of the Datasets page: what it holds, whether a run could read it now, and if not why and how to get it.
import type { DatasetsQuery } from '../../generated/graphql';
import { count } from '../../lib/format';
import { DATASET_FORMAT_LABELS } from './dataset-format';

type Dataset = DatasetsQuery['datasets'][number];

export function DatasetCard({ dataset }: { dataset: Dataset }) {
  return (
    <section className="card dataset" data-testid={`dataset-${dataset.name}`}>
      <h2>
        {dataset.name}{' '}
        {dataset.available ? (
          <span className="status status-online">available</span>
        ) : (
          <span className="status status-failed">not available</span>
        )}
      </h2>
      {dataset.description ? <p>{dataset.description}</p> : null}
      <dl className="facts">
        <dt>Format</dt>
        <dd>
          {DATASET_FORMAT_LABELS[dataset.format]}
          {dataset.builtIn ? ' (built in)' : ''}
        </dd>
        <dt>Location</dt>
        <dd>
          <code>{dataset.location}</code>
        </dd>
        <dt>Classes</dt>
        <dd>
          {dataset.classNames.length}: {dataset.classNames.join(', ')}
        </dd>
        <dt>Images</dt>
        <dd>{images(dataset)}</dd>
        <dt>Image size</dt>
        <dd>
          {dataset.imageSize ? `${dataset.imageSize}×${dataset.imageSize}` : "any (resized to the model's input)"}
        </dd>
      </dl>
      {dataset.available ? null : <HowToGet dataset={dataset} />}
    </section>
  );
}

function images(dataset: Dataset): string {
  const train = dataset.trainSize === null ? 'unknown' : count(dataset.trainSize);
  const test =
    dataset.testSize === null
      ? 'no test split (training holds out part of each class)'
      : `${count(dataset.testSize)} test`;
  return `${train} training, ${test}`;
}

function HowToGet({ dataset }: { dataset: Dataset }) {
  return (
    <div className="unavailable" data-testid="unavailable">
      <p>{dataset.unavailableReason}</p>
      {dataset.downloadCommand ? (
        <>
          <p>
            To get it, run this in the repository&apos;s folder on the API&apos;s machine (needs internet), then reload:
          </p>
          <pre className="command" data-testid="download-command">
            <code>{dataset.downloadCommand}</code>
          </pre>
        </>
      ) : null}
    </div>
  );
}
