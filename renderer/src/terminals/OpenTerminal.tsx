import { useState } from 'react';
import { execChoices, parseContainers } from '../logs/containers';

interface Props {
  /** The resource's `containers` fact (kube pods and workloads). */
  containers?: string;
  onOpen(container?: string): void;
}

/**
 * "Open terminal", with a container picker beside it when the pod has several (init containers have
 * finished and are not offered). Without a pick the plane chooses: the pod's default-container
 * annotation, else its first container.
 */
export function OpenTerminal({ containers, onOpen }: Props) {
  const choices = execChoices(parseContainers(containers));
  const [picked, setPicked] = useState('');
  const container = choices.some((c) => c.name === picked) ? picked : '';
  return (
    <span className="open-terminal">
      {choices.length > 1 && (
        <select aria-label="Terminal container" value={container} onChange={(e) => setPicked(e.target.value)}>
          <option value="">default container</option>
          {choices.map((c) => <option key={c.name} value={c.name}>{c.name}</option>)}
        </select>
      )}
      <button type="button" className="action" onClick={() => onOpen(container || undefined)}>Open terminal</button>
    </span>
  );
}
