'use client';
// The run's log (Run.logs, then runLogs live): what its worker printed, in a scrolling monospace box that follows new
// lines while it is scrolled to the bottom, and stays put while the reader looks further up.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ErrorMessage } from '../../components/states';
import { useQuery, useSubscription } from '../../lib/api-context';
import { RUN_LOG_LINES, RUN_LOGS } from '../../lib/documents';
import { addLogLines, earlierLinesNote, MAX_SHOWN_LOG_LINES, type LogLine } from '../../lib/log-lines';
import styles from './run-logs.module.css';

/** Lines loaded with the page; later ones come through the subscription. */
const LOADED_LINES = 500;
/** How close to the bottom, in pixels, still counts as following. */
const FOLLOW_SLACK_PX = 16;
/** How long after a wheel, touch, key or pointer press on the box a scroll counts as the reader's own. */
const USER_SCROLL_MS = 1000;

export function RunLogs({ runId }: { runId: string }) {
  const loaded = useQuery(RUN_LOGS, { id: runId, last: LOADED_LINES });
  const [lines, setLines] = useState<readonly LogLine[] | null>(null);
  // The subscription starts after the last loaded line, once: lines it replays or delivers twice are dropped by number.
  const [after, setAfter] = useState<number | null>(null);
  const [following, setFollowing] = useState(true);
  const box = useRef<HTMLDivElement>(null);
  const followingNow = useRef(following);
  followingNow.current = following;
  // When the reader last wheeled, touched, pressed a key or the pointer in the box: only their scrolls stop following.
  // Scrolls the browser makes itself (lines rewrapped by a resize, a taller page) must not.
  const lastUserInput = useRef(0);
  const noteUserInput = () => {
    lastUserInput.current = performance.now();
  };

  if (lines === null && loaded.data?.run) {
    const first = loaded.data.run.logs;
    setLines(first);
    setAfter(first.at(-1)?.seq ?? 0);
  }

  useSubscription(
    RUN_LOG_LINES,
    { runId, after: after ?? 0 },
    ({ runLogs: line }) => setLines((current) => addLogLines(current ?? [], [line], MAX_SHOWN_LOG_LINES)),
    after === null,
  );

  useLayoutEffect(() => {
    if (following && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, following]);

  // A box resized (a narrower window rewraps the lines) stays on its last line while following.
  const hasLines = (lines?.length ?? 0) > 0;
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const observer = new ResizeObserver(() => {
      if (followingNow.current) element.scrollTop = element.scrollHeight;
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [hasLines]);

  if (lines === null) {
    if (loaded.error) return <ErrorMessage error={loaded.error} />;
    return (
      <section aria-labelledby="run-logs-heading">
        <h2 id="run-logs-heading">Logs</h2>
        <p className="state" role="status">
          Loading the log…
        </p>
      </section>
    );
  }
  const note = earlierLinesNote(lines);
  return (
    <section aria-labelledby="run-logs-heading" data-testid="run-logs">
      <h2 id="run-logs-heading">Logs</h2>
      <div className={styles.toolbar}>
        <label className={styles.follow}>
          <input
            type="checkbox"
            checked={following}
            onChange={(event) => setFollowing(event.target.checked)}
            data-testid="follow-logs"
          />{' '}
          Follow new lines
        </label>
        <span className={styles.note} data-testid="log-line-count">
          {lines.length === 0
            ? 'No lines yet: the worker writes here once it claims the run.'
            : `${lines.length} line${lines.length === 1 ? '' : 's'}${note ? `. ${note}` : ''}`}
        </span>
      </div>
      {lines.length > 0 && (
        <div
          ref={box}
          className={styles.log}
          role="log"
          aria-label="Run log"
          // Scrollable by keyboard.
          tabIndex={0}
          onWheel={noteUserInput}
          onTouchMove={noteUserInput}
          onKeyDown={noteUserInput}
          onPointerDown={noteUserInput}
          onScroll={(event) => {
            const element = event.currentTarget;
            const atBottom = element.scrollTop + element.clientHeight >= element.scrollHeight - FOLLOW_SLACK_PX;
            if (atBottom) setFollowing(true);
            else if (performance.now() - lastUserInput.current < USER_SCROLL_MS) setFollowing(false);
            else if (followingNow.current) element.scrollTop = element.scrollHeight;
          }}
          data-testid="log-lines"
        >
          {lines.map((line) => (
            <div key={line.seq} className={styles.line} data-stream={line.stream} data-seq={line.seq}>
              <span className={styles.seq} aria-hidden="true">
                {line.seq}
              </span>
              <span className={styles.text}>{line.line}</span>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
