'use client';
// A run's epochs, the inherited ones of a resumed run first: marked, and linked to the run that trained them.
import Link from 'next/link';
import { duration, fixed, percent } from '../../lib/format';
import type { HistoryEpoch } from '../../lib/lineage-history';
import styles from './run-history.module.css';

export function EpochTable({ epochs }: { epochs: readonly HistoryEpoch[] }) {
  const resumed = epochs.some((epoch) => epoch.from !== null);
  return (
    <table data-testid="epoch-table">
      <thead>
        <tr>
          <th className="number">Epoch</th>
          <th className="number">Train loss</th>
          <th className="number">Train acc.</th>
          <th className="number">Test loss</th>
          <th className="number">Test acc.</th>
          <th className="number">Learning rate</th>
          <th className="number">Duration</th>
          <th className="number">Images/s</th>
          {resumed && <th>Trained by</th>}
        </tr>
      </thead>
      <tbody>
        {epochs.map(({ metric, from }) => (
          <tr
            key={metric.epoch}
            className={from ? styles.inherited : undefined}
            data-inherited={from ? 'true' : undefined}
          >
            <td className="number">{metric.epoch}</td>
            <td className="number">{fixed(metric.trainLoss, 4)}</td>
            <td className="number">{percent(metric.trainAccuracy, 2)}</td>
            <td className="number">{fixed(metric.testLoss, 4)}</td>
            <td className="number">{percent(metric.testAccuracy, 2)}</td>
            <td className="number">{metric.learningRate.toPrecision(3)}</td>
            <td className="number">{duration(metric.durationSeconds)}</td>
            <td className="number">{fixed(metric.imagesPerSecond, 1)}</td>
            {resumed && (
              <td>
                {from ? (
                  <>
                    inherited from <Link href={`/runs/${from.id}`}>{from.name}</Link>
                  </>
                ) : (
                  'this run'
                )}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
