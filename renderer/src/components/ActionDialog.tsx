import { useEffect, useRef, useState } from 'react';
import type { ActionPreview, ActionSpec } from '../../../shared/contract/domain';

/** An action the operator asked for, while its preview is fetched and then shown. */
export interface PendingAction {
  spec: ActionSpec;
  resource: { id: string; name: string; group: string };
  preview?: ActionPreview;
  error?: string;
  /** The operator's value for an action that takes one (`spec.input`); the preview shown is for this value. */
  value?: number;
}

/** Why a typed value cannot be sent, in the page, before the engine (which checks it again) is asked. */
export function inputProblem(spec: ActionSpec, text: string): string | undefined {
  const inp = spec.input;
  if (!inp) return undefined;
  if (!/^-?\d+$/.test(text.trim())) return `${inp.label} must be a whole number`;
  const v = Number(text);
  if (v < inp.min || v > inp.max) return `${inp.label} must be from ${inp.min} to ${inp.max}`;
  return undefined;
}

/**
 * Says exactly what will happen (the engine's preview: summary, each call against its endpoint, the
 * condition checked afterwards) before anything changes. Cancel has the focus so a stray Enter changes
 * nothing; for `type-name` the confirm button waits for the resource's name.
 */
export function ActionDialog({ pending: p, onCancel, onConfirm, onValue }: { pending: PendingAction; onCancel(): void; onConfirm(typed?: string): void; onValue?(value: number): void }) {
  const cancel = useRef<HTMLButtonElement>(null);
  const [typed, setTyped] = useState('');
  const [valueText, setValueText] = useState(p.value !== undefined ? String(p.value) : '');
  const problem = inputProblem(p.spec, valueText);
  useEffect(() => { cancel.current?.focus(); }, []);
  const mustType = p.spec.confirm === 'type-name';
  const expected = p.preview?.typeToConfirm ?? p.resource.name;
  const ready = !!p.preview && (!mustType || typed === expected) && !problem;
  return (
    <div className="modal-backdrop" onKeyDown={(e) => { if (e.key === 'Escape') onCancel(); }}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
        <h2 id="confirm-title">{p.spec.label} {p.resource.group}/{p.resource.name}?</h2>
        {p.spec.input && (
          <label className="action-input">
            {p.spec.input.label}{' '}
            <input type="number" min={p.spec.input.min} max={p.spec.input.max} step={1} value={valueText} aria-invalid={!!problem}
              onChange={(e) => { setValueText(e.target.value); if (!inputProblem(p.spec, e.target.value)) onValue?.(Number(e.target.value)); }} />
            {problem && <span className="modal-error" role="alert"> {problem}</span>}
          </label>
        )}
        {p.error ? <p className="modal-error" role="alert">Cannot tell what this would do: {p.error}</p>
          : !p.preview ? <p className="dim">Asking the engine what this does…</p>
            : (
              <>
                <p className="preview-summary">{p.preview.summary}</p>
                <h3>Steps</h3>
                <ol className="preview-steps">
                  {p.preview.steps.map((s, i) => <li key={i}><span className="step-endpoint">{s.endpoint}</span> <code>{s.call}</code></li>)}
                </ol>
                {p.preview.dryRun && (
                  <>
                    <h3>Server dry run</h3>
                    <p className={`preview-dry-run dry-run-${p.preview.dryRun.outcome}`} role={p.preview.dryRun.outcome === 'refused' ? 'alert' : undefined}>{p.preview.dryRun.text}</p>
                  </>
                )}
                <h3>Verified when</h3>
                <p className="preview-verify">{p.preview.verify}</p>
                <p className="dim">It is recorded in the audit log.</p>
                {mustType && (
                  <label className="type-name">
                    Type <strong>{expected}</strong> to confirm
                    <input aria-label={`Type ${expected} to confirm`} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
                  </label>
                )}
              </>
            )}
        <div className="modal-buttons">
          <button ref={cancel} type="button" onClick={onCancel}>Cancel</button>
          <button type="button" className={p.spec.destructive ? 'danger' : 'primary'} disabled={!ready} onClick={() => onConfirm(mustType ? typed : undefined)}>{p.spec.label}</button>
        </div>
      </div>
    </div>
  );
}
