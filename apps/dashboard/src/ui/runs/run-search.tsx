'use client';
// The runs list's search box (text in names, tags and notes) and tag filter. The search applies as one stops typing
// or presses Enter; tags apply when added, and show as chips that remove them.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { TagChips } from './tag-chips';
import styles from './tags.module.css';

/** How long typing must pause before the list follows the search box. */
const SEARCH_DELAY_MS = 300;

export function RunSearch({
  search,
  tags,
  suggestions,
  onSearch,
  onTags,
}: {
  search: string;
  /** Tags the runs must all have. */
  tags: readonly string[];
  /** Every tag in use. */
  suggestions: readonly string[];
  onSearch: (search: string) => void;
  onTags: (tags: string[]) => void;
}) {
  const ids = useId();
  const [text, setText] = useState(search);
  // Follows the URL when it changes otherwise (back, forward, a link).
  const [shown, setShown] = useState(search);
  if (shown !== search) {
    setShown(search);
    setText(search);
  }
  const [tagText, setTagText] = useState('');
  const latestOnSearch = useRef(onSearch);
  useEffect(() => {
    latestOnSearch.current = onSearch;
  });
  useEffect(() => {
    if (text === search) return;
    const timer = setTimeout(() => latestOnSearch.current(text), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, search]);

  const submitSearch = (event: FormEvent) => {
    event.preventDefault();
    if (text !== search) onSearch(text);
  };
  const addTag = (event: FormEvent) => {
    event.preventDefault();
    const tag = tagText.trim();
    if (tag !== '' && !tags.includes(tag)) onTags([...tags, tag]);
    setTagText('');
  };

  return (
    <>
      <form role="search" onSubmit={submitSearch}>
        <label>
          Search
          <input
            type="search"
            name="search"
            value={text}
            placeholder="name, tag or notes"
            onChange={(event) => setText(event.target.value)}
          />
        </label>
      </form>
      <form className={styles.row} onSubmit={addTag}>
        <label>
          Tag
          <input
            name="tag"
            value={tagText}
            list={`${ids}-tags`}
            autoComplete="off"
            placeholder="filter by tag"
            onChange={(event) => setTagText(event.target.value)}
          />
        </label>
        <button type="submit" disabled={tagText.trim() === ''}>
          Filter by tag
        </button>
        <datalist id={`${ids}-tags`}>
          {suggestions
            .filter((tag) => !tags.includes(tag))
            .map((tag) => (
              <option key={tag} value={tag} />
            ))}
        </datalist>
      </form>
      <TagChips
        tags={tags}
        label="Runs have all these tags"
        onRemove={{
          action: (tag) => onTags(tags.filter((other) => other !== tag)),
          label: (tag) => `Stop filtering by tag ${tag}`,
        }}
      />
    </>
  );
}
