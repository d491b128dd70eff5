import type { TerminalStatus } from './stream';

/** One terminal tab: a resource's shell, kept open while the operator looks at other resources. */
export interface TerminalTab {
  key: string;
  resource: string;
  /** The container asked for (kube pods with several); absent: the plane's default one. */
  container?: string;
  /** What the tab says: `group/name`, numbered when one resource has several open. */
  title: string;
  status: TerminalStatus;
}

export interface TerminalTabs { tabs: TerminalTab[]; active?: string }

export const noTabs: TerminalTabs = { tabs: [] };

let nextKey = 1;

/** A new tab for a resource (and one of its containers), made the active one. */
export function addTab(s: TerminalTabs, resource: string, name: string, container?: string): TerminalTabs {
  const label = container ? `${name} · ${container}` : name;
  const same = s.tabs.filter((t) => t.resource === resource && t.container === container).length;
  const tab: TerminalTab = { key: `term-${nextKey++}`, resource, ...(container ? { container } : {}), title: same ? `${label} (${same + 1})` : label, status: { state: 'opening' } };
  return { tabs: [...s.tabs, tab], active: tab.key };
}

/** Closes a tab; the one beside it becomes active when it was. */
export function closeTab(s: TerminalTabs, key: string): TerminalTabs {
  const i = s.tabs.findIndex((t) => t.key === key);
  if (i < 0) return s;
  const tabs = s.tabs.filter((t) => t.key !== key);
  const active = s.active !== key ? s.active : tabs[Math.min(i, tabs.length - 1)]?.key;
  return { tabs, active };
}

export function setStatus(s: TerminalTabs, key: string, status: TerminalStatus): TerminalTabs {
  if (!s.tabs.some((t) => t.key === key && t.status !== status)) return s;
  return { ...s, tabs: s.tabs.map((t) => (t.key === key ? { ...t, status } : t)) };
}

export function activate(s: TerminalTabs, key: string): TerminalTabs {
  return s.active === key || !s.tabs.some((t) => t.key === key) ? s : { ...s, active: key };
}
