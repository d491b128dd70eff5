import { useEffect, useRef } from 'react';

export interface Confirmation { title: string; body: string; confirmLabel: string; onConfirm(): void }

/** Every change is confirmed; Cancel has the focus so a stray Enter changes nothing. */
export function ConfirmDialog({ c, onClose }: { c: Confirmation; onClose(): void }) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => { cancel.current?.focus(); }, []);
  return (
    <div className="modal-backdrop" onKeyDown={(e) => { if (e.key === 'Escape') onClose(); }}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
        <h2 id="confirm-title">{c.title}</h2>
        <p>{c.body}</p>
        <div className="modal-buttons">
          <button ref={cancel} type="button" onClick={onClose}>Cancel</button>
          <button type="button" className="danger" onClick={() => { onClose(); c.onConfirm(); }}>{c.confirmLabel}</button>
        </div>
      </div>
    </div>
  );
}
