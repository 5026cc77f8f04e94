'use client';
// The run page's editor of a run's tags and notes, saved with updateRun: a tag as soon as it is added or removed, the
// notes with Save (or Ctrl+Enter). Tags already used on other runs are offered as suggestions.
import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ErrorMessage, QueryView } from '../../components/states';
import { useApi, useQuery } from '../../lib/api-context';
import { RUN_ANNOTATIONS, UPDATE_RUN } from '../../lib/documents';
import { TagChips } from './tag-chips';
import styles from './tags.module.css';

/** As the API allows: see UpdateRunInput. */
const MAX_TAG_LENGTH = 50;
const MAX_NOTES_LENGTH = 10_000;

export function RunAnnotations({ runId }: { runId: string }) {
  const api = useApi();
  const annotations = useQuery(RUN_ANNOTATIONS, { id: runId });
  const [tagText, setTagText] = useState('');
  /** The notes as being edited; null while they are as saved. */
  const [notesDraft, setNotesDraft] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const ids = useId();

  const save = async (change: { tags?: string[]; notes?: string }, done: string): Promise<boolean> => {
    setSaving(true);
    setError(null);
    setMessage(null);
    try {
      const { updateRun } = await api.mutate(UPDATE_RUN, { input: { id: runId, ...change } });
      annotations.setData((previous) => previous && { ...previous, run: { ...updateRun } });
      // Suggestions include a new tag from now on.
      annotations.refetch();
      setMessage(done);
      return true;
    } catch (failure) {
      setError(failure as Error);
      return false;
    } finally {
      setSaving(false);
    }
  };

  return (
    <section aria-labelledby={`${ids}-heading`} data-testid="run-annotations">
      <h2 id={`${ids}-heading`}>Tags and notes</h2>
      <QueryView state={annotations} what="tags and notes">
        {({ run, runTags }) => {
          if (!run) return null;
          const notes = notesDraft ?? run.notes;
          const addTag = (event: FormEvent) => {
            event.preventDefault();
            const tag = tagText.trim();
            if (tag === '' || run.tags.includes(tag)) return setTagText('');
            void save({ tags: [...run.tags, tag] }, `Added tag ${tag}.`).then((saved) => saved && setTagText(''));
          };
          const saveNotes = () => {
            void save({ notes }, 'Notes saved.').then((saved) => saved && setNotesDraft(null));
          };
          const onNotesKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              saveNotes();
            }
          };
          return (
            <div className={styles.editor}>
              {run.tags.length === 0 ? (
                <p className={styles.hint} data-testid="no-tags">
                  No tags yet.
                </p>
              ) : (
                <TagChips
                  tags={run.tags}
                  label="Tags of this run"
                  disabled={saving}
                  onRemove={{
                    action: (tag) =>
                      void save({ tags: run.tags.filter((other) => other !== tag) }, `Removed tag ${tag}.`),
                    label: (tag) => `Remove tag ${tag}`,
                  }}
                />
              )}
              <form className={styles.row} onSubmit={addTag}>
                <label>
                  New tag
                  <input
                    name="tag"
                    value={tagText}
                    maxLength={MAX_TAG_LENGTH}
                    list={`${ids}-suggestions`}
                    autoComplete="off"
                    aria-describedby={`${ids}-tag-hint`}
                    onChange={(event) => setTagText(event.target.value)}
                  />
                </label>
                <button type="submit" disabled={saving || tagText.trim() === ''}>
                  Add tag
                </button>
                <span id={`${ids}-tag-hint`} className={styles.hint}>
                  Letters, digits, spaces and - _ . : / (up to {MAX_TAG_LENGTH}); at most 20 tags.
                </span>
                <datalist id={`${ids}-suggestions`}>
                  {runTags
                    .filter((tag) => !run.tags.includes(tag))
                    .map((tag) => (
                      <option key={tag} value={tag} />
                    ))}
                </datalist>
              </form>
              <label>
                Notes
                <textarea
                  name="notes"
                  value={notes}
                  maxLength={MAX_NOTES_LENGTH}
                  aria-describedby={`${ids}-notes-hint`}
                  onChange={(event) => setNotesDraft(event.target.value)}
                  onKeyDown={onNotesKey}
                />
              </label>
              <div className={styles.row}>
                <button type="button" disabled={saving || notes === run.notes} onClick={saveNotes}>
                  Save notes
                </button>
                {notes !== run.notes && (
                  <button type="button" disabled={saving} onClick={() => setNotesDraft(null)}>
                    Discard changes
                  </button>
                )}
                <span id={`${ids}-notes-hint`} className={styles.hint}>
                  {notes.length.toLocaleString('en-US')} / {MAX_NOTES_LENGTH.toLocaleString('en-US')} characters;
                  Ctrl+Enter saves.
                </span>
              </div>
              <p className={styles.hint} role="status" data-testid="annotations-message">
                {message}
              </p>
              {error && <ErrorMessage error={error} />}
            </div>
          );
        }}
      </QueryView>
    </section>
  );
}
