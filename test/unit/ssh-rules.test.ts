import { describe, expect, it } from 'vitest';
import type { SshConnectionState } from '../../core/planes/ssh/connection';
import { connectionView, hostEndpoint, hostKeyFileType } from '../../core/planes/ssh/endpoint';
import type { HostFacts } from '../../core/planes/ssh/facts';
import { deriveHost, hostObject, hostResourceId, minutesAgo, missingMountsText, sshHostRules, type HostObjectData } from '../../core/planes/ssh/rules';

const NOW = Date.UTC(2026, 11, 6, 14, 30, 0);
const POOLS = ['/fs/pool/pool-backup', '/fs/pool/pool-output', '/fs/pool/pool-logs'];

function facts(over: Partial<HostFacts> = {}): HostFacts {
  return {
    at: NOW,
    bootAt: NOW - 3 * 3600_000,
    load: [0.1, 0.2, 0.3],
    mounts: POOLS.map((path) => ({ path, mounted: true, sizeKb: 1024 * 1024, usedKb: 512 * 1024, availKb: 512 * 1024, usePercent: 50 })),
    units: [{ name: 'docker', state: 'active' }],
    ...over,
  };
}

function host(over: Partial<HostObjectData> = {}): HostObjectData {
  return {
    alias: 'kraken-workers',
    configured: true,
    target: 'kraken@10.177.0.13:22',
    connection: { state: 'connected', via: [], since: NOW - 60_000 },
    expect: { mounts: POOLS, units: [], docker: true },
    facts: facts(),
    factsAt: NOW,
    ...over,
  };
}

const derive = (d: HostObjectData) => deriveHost(hostResourceId(d.alias), hostObject(d.alias, d), NOW).resource;

describe('host rules', () => {
  it('a healthy host is ok with its facts shown', () => {
    const r = derive(host());
    expect(r).toMatchObject({ id: 'ssh/kraken-workers/host/kraken-workers', kind: 'host', group: { kind: 'host', name: 'kraken-workers' }, runtime: 'ok', reasons: [] });
    expect(r.facts).toMatchObject({ host: 'kraken@10.177.0.13:22', connection: 'connected', load: '0.1 0.2 0.3', 'mount /fs/pool/pool-backup': '50% used (512 MiB of 1.0 GiB, 512 MiB free)', 'unit docker': 'active' });
    expect(r.actions).toEqual([]);
  });

  it("reads the rig's host-reboot as the operator says it", () => {
    const bootAt = NOW - 4 * 60_000 - 10_000;
    const d = host({
      rebootedAt: bootAt,
      facts: facts({ bootAt, mounts: POOLS.map((path) => ({ path, mounted: false })), units: [{ name: 'docker', state: 'inactive' }] }),
    });
    const r = derive(d);
    expect(r.runtime).toBe('error');
    expect(r.reasons.map((x) => x.text)).toEqual(['rebooted 4 minutes ago: pool mounts backup, output, logs missing; docker stopped']);
    expect(r.actions.map((a) => a.id)).toEqual(['start-docker']);
  });

  it('a reboot whose aftermath was dealt with is said, but healthy', () => {
    const bootAt = NOW - 30 * 60_000;
    const r = derive(host({ rebootedAt: bootAt, facts: facts({ bootAt }) }));
    expect(r.runtime).toBe('ok');
    expect(r.reasons).toEqual([expect.objectContaining({ text: 'rebooted 30 minutes ago', severity: 'info' })]);
  });

  it('re-derives when the minutes in "rebooted N minutes ago" move on', () => {
    const bootAt = NOW - 4 * 60_000 - 10_000;
    const d = host({ rebootedAt: bootAt, facts: facts({ bootAt }) });
    expect(deriveHost(hostResourceId(d.alias), hostObject(d.alias, d), NOW).recheckAt).toBe(NOW + 50_000);
  });

  it('names missing mounts without a reboot, and units hosts.yaml names', () => {
    const d = host({ expect: { mounts: POOLS, units: ['slurmd'], docker: false }, facts: facts({ mounts: [{ path: POOLS[0]!, mounted: true }, { path: POOLS[1]!, mounted: false }, { path: POOLS[2]!, mounted: true }], units: [{ name: 'docker', state: 'inactive' }, { name: 'slurmd', state: 'failed' }] }) });
    const r = derive(d);
    expect(r.reasons.map((x) => x.text)).toEqual(['pool mount output missing; slurmd failed']);
    // docker is not expected on this host: its state is a fact, not a problem, and no Start is offered.
    expect(r.facts['unit docker']).toBe('inactive');
    expect(r.actions).toEqual([]);
  });

  it('groups missing mounts by what they share, and names odd ones by path', () => {
    expect(missingMountsText(['/fs/pool/pool-backup'])).toBe('pool mount backup missing');
    expect(missingMountsText(['/data', '/scratch'])).toBe('mounts /data, /scratch missing');
    expect(missingMountsText(['/fs/pool/pool-logs', '/data'])).toBe('pool mount logs missing; mount /data missing');
  });

  it('counts minutes as people do', () => {
    expect(minutesAgo(20_000)).toBe('less than a minute ago');
    expect(minutesAgo(60_000)).toBe('1 minute ago');
    expect(minutesAgo(59 * 60_000)).toBe('59 minutes ago');
    expect(minutesAgo(5 * 3600_000)).toBe('5 hours ago');
  });

  it('an unknown host key shows its fingerprint and offers to trust exactly that key', () => {
    const r = derive(host({ connection: { state: 'untrusted', host: 'kraken-workers', hostKeyName: 'kraken-workers', keyType: 'ssh-ed25519', fingerprint: 'SHA256:abc', message: '…' } }));
    expect(r.runtime).toBe('error');
    expect(r.reasons[0]!.text).toBe("unknown host key ssh-ed25519 SHA256:abc: compare it with the server's and trust it to connect");
    expect(r.actions).toEqual([{ id: 'trust-host-key', label: 'Trust host key SHA256:abc', destructive: false, confirm: 'confirm' }]);
    expect(r.facts['presented key']).toBe('ssh-ed25519 SHA256:abc');
  });

  it('an unknown key of a jump host says whose key it is', () => {
    const r = derive(host({ alias: 'cluster-head', connection: { state: 'untrusted', host: 'kraken-infra', hostKeyName: 'kraken-infra', keyType: 'ssh-ed25519', fingerprint: 'SHA256:j', message: '' } }));
    expect(r.reasons[0]!.text).toMatch(/^jump host kraken-infra: unknown host key/);
  });

  it('a changed key is refused with both fingerprints and offers nothing to accept it', () => {
    const s: SshConnectionState = {
      state: 'refused', since: NOW, host: 'kraken-dbs', reason: 'host-key-changed',
      message: 'kraken-dbs: HOST KEY HAS CHANGED, connection refused. kraken-dbs now presents ssh-ed25519 SHA256:new; known_hosts has ssh-ed25519 SHA256:old (/k line 1). …',
      hostKey: { alias: 'kraken-dbs', hostKeyName: 'kraken-dbs', status: 'changed', presented: { fingerprint: 'SHA256:new', keyType: 'ssh-ed25519' }, known: { fingerprint: 'SHA256:old', keyType: 'ssh-ed25519', file: '/k', line: 1 } as never },
    };
    const r = derive(host({ alias: 'kraken-dbs', connection: connectionView(s) }));
    expect(r.runtime).toBe('error');
    expect(r.reasons[0]!.text).toContain('SHA256:new');
    expect(r.reasons[0]!.text).toContain('SHA256:old');
    expect(r.facts).toMatchObject({ 'presented key': 'ssh-ed25519 SHA256:new', 'known key': 'ssh-ed25519 SHA256:old (/k line 1)' });
    // Only a new attempt, which checks known_hosts again (after the operator fixed it): nothing accepts the key.
    expect(r.actions).toEqual([{ id: 'connect', label: 'Try again', destructive: false, confirm: 'none' }]);
    const ep = hostEndpoint({ alias: 'kraken-dbs', target: 't', source: 's' }, s);
    expect(ep).toMatchObject({ state: 'unavailable', waitsForOperator: true });
    expect(ep.retryAt).toBeUndefined();
    expect(ep.hint).toMatch(/never accepts a changed key/);
  });

  it('a lost host says why, keeps its last facts and tells the endpoint when it retries', () => {
    const lost: SshConnectionState = { state: 'lost', why: 'kraken-workers: Timed out while waiting for handshake', since: NOW, attempt: 2, retryAt: NOW + 4000 };
    const r = derive(host({ connection: connectionView(lost) }));
    expect(r.runtime).toBe('error');
    expect(r.reasons[0]!.text).toBe('unreachable: Timed out while waiting for handshake');
    expect(r.facts['mount /fs/pool/pool-backup']).toMatch(/% used/);
    expect(hostEndpoint({ alias: 'kraken-workers', target: 't', source: 's' }, lost)).toMatchObject({ state: 'unavailable', retryAt: NOW + 4000, message: 'lost: Timed out while waiting for handshake' });
  });

  it('an ssh alias not in hosts.yaml is idle: listed, not a problem, with Connect', () => {
    const d = host({ configured: false, connection: { state: 'idle' }, facts: undefined, factsAt: undefined, expect: { mounts: [], units: [], docker: false } });
    const r = derive(d);
    expect(r.runtime).toBe('not_applicable');
    expect(r.reasons[0]!.text).toBe('not connected (not named in hosts.yaml): Connect to look at it');
    expect(r.actions.map((a) => a.id)).toEqual(['connect']);
    expect(hostEndpoint({ alias: 'x', target: 't', source: 's' }, { state: 'idle' }).state).toBe('idle');
  });

  it('connected through a jump host says so', () => {
    const s: SshConnectionState = { state: 'connected', since: NOW, via: ['kraken-infra'] };
    expect(derive(host({ alias: 'cluster-head', connection: connectionView(s) })).facts.connection).toBe('connected via kraken-infra');
    expect(hostEndpoint({ alias: 'cluster-head', target: 't', source: 's' }, s).message).toBe('connected via kraken-infra');
  });

  it('a failed look is a warning with its reason, and the last facts stay', () => {
    const r = derive(host({ factsError: 'no answer within 20 s' }));
    expect(r.runtime).toBe('warning');
    expect(r.reasons[0]).toMatchObject({ text: 'could not look at the host: no answer within 20 s', severity: 'warning' });
  });

  it("points the operator at the server's own key file to compare", () => {
    expect(hostKeyFileType('ssh-ed25519')).toBe('ed25519');
    expect(hostKeyFileType('ecdsa-sha2-nistp256')).toBe('ecdsa');
    expect(hostKeyFileType('rsa-sha2-512')).toBe('rsa');
    const s: SshConnectionState = { state: 'untrusted', since: NOW, host: 'h', message: 'm', unknown: { alias: 'h', hostKeyName: 'h', fingerprint: 'SHA256:k', keyType: 'ecdsa-sha2-nistp256', key: '', knownHostsFile: '/kh', line: '' } };
    const ep = hostEndpoint({ alias: 'h', target: 't', source: 's' }, s);
    expect(ep).toMatchObject({ state: 'unavailable', waitsForOperator: true, actOn: 'ssh/h/host/h' });
    expect(ep.hint).toBe('Compare SHA256:k with the server\'s own (ssh-keygen -lf /etc/ssh/ssh_host_ecdsa_key.pub on it), then use "Trust host key SHA256:k" on host h; it is appended to /kh.');
  });

  it('a sleeping laptop keeps the last facts, marked as such', () => {
    const r = derive(host({ connection: { state: 'suspended' } }));
    expect(r.runtime).toBe('unknown');
    expect(r.reasons.map((x) => x.text)).toEqual(['paused while the computer sleeps: last known state shown']);
    expect(r.facts['mount /fs/pool/pool-backup']).toMatch(/% used/);
  });

  it('binds the host object to its resource', () => {
    expect(sshHostRules.bind(hostObject('kraken-dbs', host({ alias: 'kraken-dbs' })))).toEqual(['ssh/kraken-dbs/host/kraken-dbs']);
  });
});
