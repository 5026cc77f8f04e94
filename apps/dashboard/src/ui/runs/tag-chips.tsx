// A run's tags as chips: plain, buttons that filter the runs list by a tag, or with a button that removes a tag.
import styles from './tags.module.css';

export function TagChips({
  tags,
  label,
  onSelect,
  onRemove,
  disabled = false,
}: {
  tags: readonly string[];
  /** What the list is, for screen readers, e.g. 'Tags of run 3'. */
  label: string;
  /** Makes each chip a button, e.g. to filter by its tag. */
  onSelect?: { readonly action: (tag: string) => void; readonly label: (tag: string) => string };
  /** Gives each chip a remove button. */
  onRemove?: { readonly action: (tag: string) => void; readonly label: (tag: string) => string };
  disabled?: boolean;
}) {
  if (tags.length === 0) return null;
  return (
    <ul className={styles.chips} aria-label={label}>
      {tags.map((tag) => (
        <li key={tag}>
          {onSelect ? (
            <button
              type="button"
              className={styles.chip}
              aria-label={onSelect.label(tag)}
              disabled={disabled}
              onClick={() => onSelect.action(tag)}
            >
              {tag}
            </button>
          ) : (
            <span className={styles.chip} data-tag={tag}>
              {tag}
              {onRemove && (
                <button
                  type="button"
                  className={styles.remove}
                  aria-label={onRemove.label(tag)}
                  disabled={disabled}
                  onClick={() => onRemove.action(tag)}
                >
                  ×
                </button>
              )}
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}
