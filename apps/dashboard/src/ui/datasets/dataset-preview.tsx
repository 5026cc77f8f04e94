// What registering a folder would record, before it is saved: its classes with their images per split, and a few
// of its images.
import type { PreviewDatasetMutation } from '../../generated/graphql';
import { count } from '../../lib/format';

export type Preview = PreviewDatasetMutation['previewDataset'];

export function DatasetPreview({ preview }: { preview: Preview }) {
  const hasTestSplit = preview.testSize !== null;
  return (
    <section className="dataset-preview" data-testid="dataset-preview" aria-label="Preview">
      <p>
        <strong>{preview.classNames.length} classes</strong>, {count(preview.trainSize)} training images,{' '}
        {hasTestSplit
          ? `${count(preview.testSize!)} test images`
          : 'no test/ folder (training holds out part of each class as its test split)'}
        ; images{' '}
        {preview.imageSize ? `${preview.imageSize}×${preview.imageSize}` : "of any size, resized to the model's input"}.
        Location: <code>{preview.location}</code>
      </p>
      <div className="table-scroll">
        <table data-testid="preview-classes">
          <thead>
            <tr>
              <th>Class</th>
              <th className="number">Training images</th>
              {hasTestSplit ? <th className="number">Test images</th> : null}
            </tr>
          </thead>
          <tbody>
            {preview.classes.map((entry) => (
              <tr key={entry.className}>
                <td>{entry.className}</td>
                <td className="number">{count(entry.trainSize)}</td>
                {hasTestSplit ? <td className="number">{count(entry.testSize ?? 0)}</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ul className="thumbnails" data-testid="preview-thumbnails">
        {preview.thumbnails.map((thumbnail, index) => (
          <li key={index}>
            {/* A data URL the API made: next/image would gain nothing. */}
            <img
              src={thumbnail.dataUrl}
              width={64}
              height={64}
              alt={`${thumbnail.className}, ${thumbnail.sourceWidth}×${thumbnail.sourceHeight}`}
              title={thumbnail.file ?? undefined}
            />
            <span>{thumbnail.className}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
