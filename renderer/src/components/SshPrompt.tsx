import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Client } from '../../../shared/contract/client';
import type { EndpointAsk } from '../../../shared/contract/domain';

/**
 * A login's question in the endpoint's banner: a key's passphrase, a password, the server's
 * keyboard-interactive prompts (password fields where the server does not echo). The answer goes to the
 * engine once (`ssh:answer`) and the fields are emptied at once: the page keeps no secret. A wrong answer
 * comes back as a new question that says why; Cancel leaves the host refused.
 */
export function SshPrompt({ endpoint, ask, client }: { endpoint: string; ask: EndpointAsk; client: Client }) {
  const [answers, setAnswers] = useState<string[]>(() => ask.prompts.map(() => ''));
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => { first.current?.focus(); }, []);

  const send = async (input: { answers: string[]; remember: boolean } | { cancel: true }) => {
    setBusy(true);
    setError(undefined);
    try {
      await client.request('ssh:answer', { endpoint, ask: ask.id, ...input });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setAnswers(ask.prompts.map(() => ''));
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void send({ answers, remember });
  };

  return (
    <form className="ssh-prompt" aria-label={ask.title} onSubmit={submit} style={{ margin: '6px 0', display: 'grid', gap: 6, maxWidth: 520 }}>
      {ask.retry && <div role="alert" className="ssh-prompt-retry"><strong>{ask.retry}</strong>: try again.</div>}
      {ask.instructions && <div className="ssh-prompt-instructions">{ask.instructions}</div>}
      {ask.prompts.map((p, i) => (
        <label key={i} style={{ display: 'grid', gap: 2 }}>
          <span>{p.label}</span>
          <input
            ref={i === 0 ? first : undefined}
            type={p.echo ? 'text' : 'password'}
            value={answers[i] ?? ''}
            onChange={(e) => setAnswers((a) => a.map((v, j) => (j === i ? e.target.value : v)))}
            autoComplete="off"
            spellCheck={false}
            disabled={busy}
          />
        </label>
      ))}
      {ask.remember === 'offer' && (
        <label>
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} disabled={busy} /> Remember until Pilothouse quits (in memory, never on disk)
        </label>
      )}
      {error && <div role="alert" className="modal-error">{error}</div>}
      <div className="modal-buttons">
        <button type="button" onClick={() => void send({ cancel: true })} disabled={busy}>Cancel</button>
        <button type="submit" className="primary" disabled={busy}>{ask.kind === 'passphrase' ? 'Unlock key' : 'Log in'}</button>
      </div>
    </form>
  );
}
