'use client';
// A button for what cannot be undone (deleting a run, a model or a version): the first press asks, in place, and only
// the second, on the confirming button, acts. Keep closes the question again.
import { useId, useState } from 'react';
import styles from './confirm-button.module.css';

export interface ConfirmButtonProps {
  /** The button's text, e.g. 'Delete run'. */
  readonly label: string;
  /** What is asked before acting, e.g. "Delete run 'baseline' and its files? This cannot be undone." */
  readonly question: string;
  /** The confirming button's text; default `label`. */
  readonly confirmLabel?: string;
  readonly disabled?: boolean;
  /** Called on confirmation; the buttons are disabled until it settles. */
  readonly onConfirm: () => Promise<void>;
}

export function ConfirmButton({ label, question, confirmLabel, disabled = false, onConfirm }: ConfirmButtonProps) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const questionId = useId();
  if (!asking) {
    return (
      <button type="button" className="danger" disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      setAsking(false);
    }
  };
  return (
    <span role="group" aria-labelledby={questionId} className={styles.confirm}>
      <span id={questionId} className={styles.question}>
        {question}
      </span>
      <button type="button" className="danger" disabled={busy} onClick={() => void confirm()}>
        {confirmLabel ?? label}
      </button>
      <button type="button" disabled={busy} onClick={() => setAsking(false)} autoFocus>
        Keep
      </button>
    </span>
  );
}
