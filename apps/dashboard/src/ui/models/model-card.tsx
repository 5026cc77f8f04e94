// One model of the Models page: architecture, per-stage summary (as in the paper's table), versions, newest runs.
import Link from 'next/link';
import { StatusBadge } from '../../components/run-status';
import type { ModelsQuery } from '../../generated/graphql';
import { compact, count, percent } from '../../lib/format';
import { DownloadLink } from '../access/download-link';
import { ModelAliases } from './model-aliases';
import { ModelEvaluations } from './model-evaluations';
import { DeleteModelButton, DeleteVersionButton } from './registry-delete-buttons';
import { VersionDescription } from './version-description';

type Model = ModelsQuery['models'][number];

/** `onChanged` fetches the models again after a change to the registry or a deletion. */
export function ModelCard({ model, onChanged }: { model: Model; onChanged: () => void }) {
  const { architecture } = model;
  return (
    <section className="card" data-testid={`model-${model.name}`}>
      <h2>{model.name}</h2>
      <p>
        {architecture.arch}, {architecture.stem} stem, width {architecture.width}, {architecture.classes} classes,{' '}
        {architecture.inputSize}x{architecture.inputSize} input · {count(model.parameterCount)} parameters ·{' '}
        {compact(model.macs)} MACs per image
        {model.description ? ` · ${model.description}` : ''}
      </p>
      <StagesTable stages={model.stages} />
      <h3>Versions</h3>
      <VersionsTable model={model} onChanged={onChanged} />
      <ModelAliases model={model} onChanged={onChanged} />
      <h3>Runs</h3>
      <RunsList model={model} />
      <ModelEvaluations modelId={model.id} modelName={model.name} />
      <DeleteModelButton model={model} onDeleted={onChanged} />
    </section>
  );
}

function StagesTable({ stages }: { stages: Model['stages'] }) {
  return (
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
        {stages.map((stage) => (
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
  );
}

function VersionsTable({ model, onChanged }: { model: Model; onChanged: () => void }) {
  if (model.versions.length === 0) {
    return <p className="state">None yet: promote a checkpoint from a run&apos;s page.</p>;
  }
  return (
    <table data-testid={`versions-${model.name}`}>
      <tbody>
        {model.versions.map((version) => (
          <tr key={version.id} data-version={version.version}>
            <td>v{version.version}</td>
            <td>{version.aliases.join(', ')}</td>
            <td>
              <VersionDescription version={version} onChanged={onChanged} />
            </td>
            <td>
              <Link href={`/runs/${version.checkpoint.run.id}`}>{version.checkpoint.run.name}</Link>, epoch{' '}
              {version.checkpoint.epoch}
            </td>
            <td className="number">{percent(version.checkpoint.testAccuracy, 2)}</td>
            <td>
              <Link href={`/predict?checkpoint=${version.checkpoint.id}`}>Predict</Link>
              {version.checkpoint.safetensorsPath && (
                <>
                  {' '}
                  <DownloadLink
                    path={version.checkpoint.safetensorsPath}
                    title="The weights as a PyTorch state_dict (safetensors)"
                  >
                    safetensors
                  </DownloadLink>
                </>
              )}
            </td>
            <td>
              <DeleteVersionButton version={version} modelName={model.name} onDeleted={onChanged} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** `runs` holds only the newest few (the query's `first`); `runCount` counts them all. */
function RunsList({ model }: { model: Model }) {
  if (model.runCount === 0) {
    return (
      <p className="state">
        None yet: <Link href="/runs/new">start one</Link>.
      </p>
    );
  }
  const runs = `${count(model.runCount)} run${model.runCount === 1 ? '' : 's'}`;
  const more = model.runCount > model.runs.length;
  return (
    <>
      <p data-testid={`run-count-${model.name}`}>
        {runs}
        {more ? `, the newest ${model.runs.length} below` : ''}
      </p>
      <ul data-testid={`runs-${model.name}`}>
        {model.runs.map((run) => (
          <li key={run.id}>
            <Link href={`/runs/${run.id}`}>{run.name}</Link> <StatusBadge status={run.status} />{' '}
            {percent(run.bestTestAccuracy, 2)}
          </li>
        ))}
      </ul>
      {/* The runs list keeps its model filter in local state, not the URL: this opens it unfiltered. */}
      {more && <Link href="/">all {runs}</Link>}
    </>
  );
}
