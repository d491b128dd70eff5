import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApi, type DockerApi } from '../../core/planes/docker/api';
import { parseDockerHost } from '../../core/planes/docker/discover';
import { dockerClient, ensureTestImage, runContainer, testDockerHost } from '../support/docker-fixtures';

// The calls the plane makes through dockerode's modem, against the rig's engine: what they answer for
// the cases the plane depends on (304 = the goal already holds, 404 = gone).
const host = testDockerHost();
const NAME = 'pilothouse-itest-api-1';
let docker: Docker;
let id: string;

beforeAll(async () => {
  docker = dockerClient(host);
  await ensureTestImage(docker);
  const c = await runContainer(docker, { name: NAME, service: 'api', cmd: ['sh', '-c', "trap 'exit 0' TERM; echo out-line; echo err-line >&2; while true; do sleep 1 & wait; done"] });
  id = c.id;
});

afterAll(async () => { await docker?.getContainer(NAME).remove({ force: true }).catch(() => undefined); });

describe('the Docker API through dockerode', () => {
  let api: DockerApi;
  beforeAll(async () => { api = await openApi({ name: 't', ...parseDockerHost(host, 'test') }); });
  afterAll(() => api?.close());

  it('lists and inspects; an unknown container is a 404', async () => {
    const list = (await api.request<Array<{ Id: string }>>('GET', '/containers/json', { all: 1 })).body;
    expect(list.some((c) => c.Id === id)).toBe(true);
    const inspect = (await api.request<{ Id: string; State: { Running: boolean } }>('GET', `/containers/${id}/json`)).body;
    expect(inspect).toMatchObject({ Id: id, State: { Running: true } });
    await expect(api.request('GET', '/containers/no-such-container-pilothouse/json')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('start on a running container answers 304; stop answers 204 and then 304', async () => {
    expect((await api.request('POST', `/containers/${id}/start`)).status).toBe(304);
    expect((await api.request('POST', `/containers/${id}/stop`, { t: 10 })).status).toBeLessThan(300);
    expect((await api.request('POST', `/containers/${id}/stop`, { t: 10 })).status).toBe(304);
    expect((await api.request('POST', `/containers/${id}/start`)).status).toBeLessThan(300);
  });

  it('streams a log with the multiplexed frames intact', async () => {
    const s = await api.stream(`/containers/${id}/logs`, { stdout: 1, stderr: 1, follow: 0, tail: 'all' });
    const bytes = await new Promise<Buffer>((resolve) => { const parts: Buffer[] = []; s.on('data', (b: Buffer) => parts.push(b)); s.on('end', () => resolve(Buffer.concat(parts))); });
    // Frame header: stream type (1 stdout, 2 stderr), three zero bytes, payload length.
    expect(bytes[0] === 1 || bytes[0] === 2).toBe(true);
    expect(bytes.toString('latin1')).toContain('out-line');
    expect(bytes.toString('latin1')).toContain('err-line');
  });
});
