import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeAction, type ComposeTarget } from '../../core/planes/compose/actions';
import { ComposeDetector, localHost } from '../../core/planes/compose/host';
import { composeConfigObject } from '../../core/planes/compose/project';
import { dockerRules } from '../../core/planes/docker/rules';

// A compose command that ends without an exit code (the SSH session went away under it, or it was killed
// at its time limit) may have changed part of the project, and a remote one may still be running: the
// action must say "unverified" with what to look at, never "failed" as if nothing had happened. The
// wrapper here is a real program on this machine that kills itself in the middle of `up`.
const dir = mkdtempSync(path.join(tmpdir(), 'ph-compose-cut-'));
const wrapper = path.join(dir, 'compose.sh');
writeFileSync(wrapper, `#!/bin/sh
case "$*" in
  *config*) printf 'services:\\n  db:\\n    profiles: [dbs]\\n  web:\\n    profiles: [web]\\n' ;;
  *" up"*) echo "Creating alphakraken_db_1 ... done"; [ -n "$EXIT_CODE" ] && exit "$EXIT_CODE"; kill -KILL $$ ;;
esac
`);
chmodSync(wrapper, 0o755);

function action(actionId: string, env: Record<string, string> = {}) {
  const cfg = { project: 'alphakraken', host: 'this machine', dir, command: [wrapper], env, order: ['dbs', 'web'], file: '/cfg/hosts.yaml', line: 2 };
  const o = composeConfigObject('docker/env', cfg);
  const resource = { ...dockerRules.derive('docker/env/alphakraken', [o], { now: 0 })!.resource, update: 'idle' as const };
  const t: ComposeTarget = { endpoint: 'docker/env', host: localHost(), remote: false, detector: new ComposeDetector(), containers: () => [], onChange: () => () => {}, stepTimeoutMs: 1_000 };
  return composeAction(t, resource, actionId, [o])!;
}

describe('a compose command cut before it ends', () => {
  it('compose up: unverified, naming the command, that it may have been done in part, and what to look at', async () => {
    const lines: string[] = [];
    const out = await action('compose-up').run((l) => lines.push(l));
    expect(out).toEqual({ unverified: expect.stringMatching(/compose\.sh --profile dbs --profile web up -d did not finish: ended by SIGKILL\. The up may have been done in part, or may still be going on here: look at the project's containers before running it again$/) });
    expect(lines).toContain('Creating alphakraken_db_1 ... done');
  });

  it('the ordered start: unverified at the step that was cut, with the steps not started named', async () => {
    const out = await action('compose-start-in-order').run(() => {});
    expect(out).toEqual({ unverified: expect.stringMatching(/^stopped at step 1 of 2 \(dbs\): up failed: .*compose\.sh --profile dbs up -d did not finish: ended by SIGKILL\. Not started: web\. The ordered start of alphakraken may have been done in part/) });
  });

  it('a program that cannot be started changed nothing: a failure that says so', async () => {
    // The wrapper named in hosts.yaml does not exist on this machine.
    const cfg = { project: 'alphakraken', host: 'this machine', dir, command: [path.join(dir, 'no-such-compose.sh')], env: {}, order: ['dbs'], file: '/cfg/hosts.yaml', line: 2 };
    const o = composeConfigObject('docker/env', cfg);
    const resource = { ...dockerRules.derive('docker/env/alphakraken', [o], { now: 0 })!.resource, update: 'idle' as const };
    const t: ComposeTarget = { endpoint: 'docker/env', host: localHost(), remote: false, detector: new ComposeDetector(), containers: () => [], onChange: () => () => {} };
    await expect(composeAction(t, resource, 'compose-up', [o])!.run(() => {})).rejects.toThrow(/no-such-compose\.sh config could not be started: .*ENOENT$/);
  });

  it('a command that exits with a code is a failure with that code, as before', async () => {
    await expect(action('compose-up', { EXIT_CODE: '3' }).run(() => {})).rejects.toThrow(/up -d exited with code 3: Creating alphakraken_db_1 \.\.\. done$/);
  });
});
