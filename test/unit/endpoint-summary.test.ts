import { describe, expect, it } from 'vitest';
import type { PlaneEndpoint } from '../../shared/contract/domain';
import { endpointSummary, stateText } from '../../renderer/src/model/endpointSummary';

const ep = (name: string, state: PlaneEndpoint['state'], message?: string): PlaneEndpoint =>
  ({ id: `ssh/${name}`, plane: 'ssh', name, target: `${name}:22`, state, ...(message ? { message } : {}) }) as PlaneEndpoint;

describe('the topbar\'s endpoints', () => {
  it('a few are shown one by one, as they are', () => {
    const few = [ep('a', 'connected'), ep('b', 'unavailable')];
    expect(endpointSummary(few)).toEqual({ shown: few, more: 0 });
  });

  it('many become one line of counts, worst first, with only those that need a look named', () => {
    const many = [ep('a', 'connected'), ep('b', 'idle'), ep('c', 'connected'), ep('d', 'connecting'), ep('e', 'connected'), ep('f', 'unavailable')];
    const s = endpointSummary(many);
    expect(s.counts).toBe('6 endpoints: 1 unavailable · 1 connecting · 1 idle · 3 connected');
    expect(s.shown.map((e) => e.name)).toEqual(['f', 'd']);
    expect(s.more).toBe(0);
  });

  it('names at most three that need a look; the rest are counted', () => {
    const down = ['a', 'b', 'c', 'd', 'e'].map((n) => ep(n, 'unavailable'));
    const s = endpointSummary(down);
    expect(s.shown).toHaveLength(3);
    expect(s.more).toBe(2);
    expect(endpointSummary(['a', 'b', 'c', 'd', 'e'].map((n) => ep(n, 'connected')))).toMatchObject({ shown: [], more: 0, counts: '5 endpoints: 5 connected' });
  });

  it('says the state once: a message that only repeats it, or begins with it, is not prefixed', () => {
    expect(stateText(ep('a', 'connected', 'connected'))).toBe('connected');
    expect(stateText(ep('a', 'connected', 'connected as Airflow 2.10.5 via /api/v1 (basic auth)'))).toBe('connected as Airflow 2.10.5 via /api/v1 (basic auth)');
    expect(stateText(ep('a', 'connected', '3 firing; Alertmanager http://127.0.0.1:59093'))).toBe('connected: 3 firing; Alertmanager http://127.0.0.1:59093');
    expect(stateText(ep('a', 'unavailable'))).toBe('unavailable');
  });
});
