import { describe, expect, it } from 'vitest';
import { containersFact } from '../../core/planes/kube/rules/containers';
import { execChoices, hasChoice, parseContainers, stillThere } from '../../renderer/src/logs/containers';

const spec = (name: string) => ({ name, image: `${name}:1`, ports: [] });
const pod = (containers: string[], init: string[] = []) => ({ containers: containers.map(spec), initContainers: init.map(spec) });

describe('the containers fact, written by the kube rules and read by the page', () => {
  it('init containers first and marked, then the others; a workload\'s pods give each name once', () => {
    const fact = containersFact([pod(['web', 'sidecar'], ['migrate']), pod(['web', 'sidecar', 'debug'], ['migrate'])]);
    expect(fact).toBe('init migrate, web, sidecar, debug');
    expect(parseContainers(fact)).toEqual([
      { name: 'migrate', init: true }, { name: 'web', init: false }, { name: 'sidecar', init: false }, { name: 'debug', init: false },
    ]);
  });

  it('one container: no choice to offer; no pods: no fact at all', () => {
    expect(hasChoice(parseContainers(containersFact([pod(['langfuse'])])))).toBe(false);
    expect(containersFact([])).toBeUndefined();
    expect(parseContainers(undefined)).toEqual([]);
  });

  it('exec offers the containers that run, not the init ones; a picked container gone falls back to all', () => {
    const cs = parseContainers('init migrate, web, sidecar');
    expect(execChoices(cs).map((c) => c.name)).toEqual(['web', 'sidecar']);
    expect(stillThere('sidecar', cs)).toBe('sidecar');
    expect(stillThere('old-name', cs)).toBeUndefined();
  });
});
