import type { Resource } from '../../../../shared/contract/domain';
import type { ActionDef } from '../../../actions/action';
import type { LogSource } from '../../../logs/source';
import type { ModelObject } from '../../../model/object';
import { runRemoteCommand } from '../command';
import type { SshConnection } from '../connection';
import type { SshFeature, SshFeatureAttachment, SshFeatureContext } from '../feature';
import { shellQuote } from '../quote';
import { jobLogSource } from './log';
import { expandOutputPath } from './parse';
import { ACTIVE_STATES, CANCEL, JOB, jobDataOf, SLURM_KINDS, slurmRules, type JobData } from './rules';
import { SlurmWatch, type SlurmWatchOptions } from './watch';

/**
 * SLURM on a head node (`slurm: true` in hosts.yaml), as the SSH plane's feature: the queue, nodes and
 * partitions as resources (watch.ts, rules.ts), a job's output file as its log (log.ts), and scancel.
 */

export interface SlurmFeature extends SshFeature {
  /** The watch of a host's queue, by endpoint (tests, and the plane's refresh after its own actions). */
  watch(endpoint: string): SlurmWatch | undefined;
}

/** Where a job writes: StdOut from scontrol (filled in), else squeue's pattern filled in here. */
export function outputPathOf(d: JobData): string | undefined {
  const fromDetail = d.detail?.StdOut;
  if (fromDetail) return fromDetail.includes('%') ? expandOutputPath(fromDetail, d.job) : fromDetail;
  if (d.job.stdout) {
    const p = expandOutputPath(d.job.stdout, d.job);
    return p.startsWith('/') || !d.job.workDir ? p : `${d.job.workDir.replace(/\/$/, '')}/${p}`;
  }
  return undefined;
}

interface Attached { ctx: SshFeatureContext; watch: SlurmWatch }

export function createSlurmFeature(opts: SlurmWatchOptions = {}): SlurmFeature {
  const byEndpoint = new Map<string, Attached>();

  return {
    kinds: SLURM_KINDS,
    rules: slurmRules,
    watch: (endpoint) => byEndpoint.get(endpoint)?.watch,

    attach(ctx: SshFeatureContext): SshFeatureAttachment | undefined {
      if (!ctx.settings.slurm) return undefined;
      const a: Attached = { ctx, watch: new SlurmWatch(ctx, opts) };
      byEndpoint.set(ctx.endpoint, a);
      return {
        firstRead: a.watch.firstRead,
        stop() {
          a.watch.stop();
          if (byEndpoint.get(ctx.endpoint) === a) byEndpoint.delete(ctx.endpoint);
        },
      };
    },

    action(resource: Resource, actionId: string, objects: readonly ModelObject[]): ActionDef | undefined {
      if (actionId !== CANCEL.id) return undefined;
      const a = byEndpoint.get(resource.endpoint);
      const d = jobDataOf(resource, objects);
      if (!a || !d || !ACTIVE_STATES.has(d.job.state)) return undefined;
      return cancelAction(a.ctx.connection, a.watch, resource, d);
    },

    logSource(resource: Resource, objects: readonly ModelObject[]): LogSource | undefined {
      if (resource.kind !== JOB) return undefined;
      const a = byEndpoint.get(resource.endpoint);
      const d = jobDataOf(resource, objects);
      const path = d && outputPathOf(d);
      if (!a || !d || !path) return undefined;
      return jobLogSource(a.ctx.connection, { alias: d.alias, jobId: d.job.id, path });
    },
  };
}

export function cancelAction(connection: SshConnection, watch: Pick<SlurmWatch, 'refresh'>, resource: Resource, d: JobData): ActionDef {
  const args = ['scancel', d.job.id];
  const was = d.job.state;
  return {
    spec: CANCEL,
    summary: `Cancel SLURM job ${d.job.id} (${d.job.name}, ${d.job.user}, ${was.toLowerCase()}) on ${d.alias}`,
    steps: [{ endpoint: resource.endpoint, call: shellQuote(args) }],
    verifyText: `job ${d.job.id} has left the queue or is no longer ${was.toLowerCase()}`,
    async run() {
      const r = await runRemoteCommand(connection, args, { timeoutMs: 30_000 });
      if (r.exitCode !== 0) {
        const err = r.stderr.toString('utf8').trim();
        throw new Error(`scancel ${d.job.id} on ${d.alias}: ${err || (r.timedOut ? 'timed out' : r.lost ? 'connection lost' : `exit code ${r.exitCode}`)}`);
      }
      // SLURM has no events: read the queue now rather than at the next round, so verification is prompt.
      await watch.refresh();
    },
    verify(objects) {
      const now = objects.find((o) => o.kind === JOB && o.name === d.job.id)?.data as JobData | undefined;
      return !now || now.job.state !== was;
    },
    verifyTimeoutMs: 30_000,
    auditName: 'slurm.cancel',
  };
}
