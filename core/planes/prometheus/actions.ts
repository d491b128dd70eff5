import type { Resource } from '../../../shared/contract/domain';
import { PilothouseError } from '../../../shared/contract/envelope';
import type { ActionDef, ActionInput, RunOutcome } from '../../actions/action';
import { actorName } from '../../audit/audit-log';
import type { ModelObject } from '../../model/object';
import { ALERT_KIND, alertActions, EXPIRE_SILENCE_ACTION, SILENCE_ACTION, type AlertData } from './alerts';
import { AlertmanagerClient, type NewSilence } from './client';
import type { PromInstance } from './instance';

const alertOf = (objects: readonly ModelObject[]): AlertData | undefined =>
  (objects.find((o) => o.kind === ALERT_KIND) as ModelObject<AlertData> | undefined)?.data;

/** The silence that matches exactly this alert: every label equal, as Alertmanager's "Silence" button makes it. */
export function silenceFor(d: Pick<AlertData, 'labels'>, hours: number, now: number, createdBy: string): NewSilence {
  return {
    matchers: Object.keys(d.labels).sort().map((name) => ({ name, value: d.labels[name]!, isRegex: false, isEqual: true })),
    startsAt: new Date(now).toISOString(),
    endsAt: new Date(now + hours * 3_600_000).toISOString(),
    createdBy,
    comment: `Silenced for ${hours} h from Pilothouse`,
  };
}

const matcherText = (s: NewSilence) => s.matchers.map((m) => `${m.name}=${JSON.stringify(m.value)}`).join(', ');

/**
 * A request that got no answer may have been done: Alertmanager may hold the silence already. Anything
 * else (refused, an HTTP error with Alertmanager's words) is a plain failure.
 */
function cutOrThrow(e: unknown, what: string, base: string): RunOutcome {
  const msg = (e as Error).message;
  if (e instanceof PilothouseError && /did not answer within|answer broke off/.test(msg)) {
    return { unverified: `${msg}: the ${what} may have been made; look at the silences on ${base}` };
  }
  throw e;
}

/**
 * Silence an alert for some hours, or expire its silence, on the Alertmanager its Prometheus sends to
 * (reached from here directly, through a kube port-forward or an SSH tunnel). Verified on the alerts read
 * again at once: the alert says silenced (or no longer does).
 */
export function alertAction(inst: PromInstance, r: Resource, actionId: string, objects: readonly ModelObject[], input: ActionInput | undefined, env: Record<string, string | undefined>, now: () => number): ActionDef | undefined {
  const d = alertOf(objects);
  const spec = d && alertActions(d).find((a) => a.id === actionId);
  const base = inst.alertmanagerUrl ?? d?.alertmanager;
  if (!d || !spec || !base) return undefined;
  const am = new AlertmanagerClient(base, { timeoutMs: 10_000 });
  const where = `alert ${r.name} of ${inst.endpointId}`;

  if (actionId === SILENCE_ACTION) {
    const hours = input?.value ?? spec.input?.default ?? 2;
    const planned = silenceFor(d, hours, now(), `${actorName(env)} (Pilothouse)`);
    return {
      spec,
      summary: `Silence ${where} for ${hours} h on Alertmanager ${base}`,
      steps: [{ endpoint: inst.endpointId, call: `POST ${base}/api/v2/silences matchers ${matcherText(planned)}, for ${hours} h, by ${planned.createdBy}` }],
      verifyText: `${d.alertname} shows as silenced`,
      async run(log) {
        // The times are taken when it runs, not when the preview was shown.
        const s = silenceFor(d, hours, now(), planned.createdBy);
        let id: string;
        try { id = await am.createSilence(s); } catch (e) { return cutOrThrow(e, 'silence', base); }
        log(`silence ${id} until ${s.endsAt}`);
        await inst.refreshNow();
      },
      verify: (objs) => !!alertOf(objs)?.silenced,
      verifyTimeoutMs: 30_000,
      auditName: 'prometheus.silence',
    };
  }

  if (actionId === EXPIRE_SILENCE_ACTION && d.silenced) {
    const id = d.silenced.id;
    return {
      spec,
      summary: `Expire silence ${id} of ${where} on Alertmanager ${base}${d.silenced.by ? ` (made by ${d.silenced.by})` : ''}`,
      steps: [{ endpoint: inst.endpointId, call: `DELETE ${base}/api/v2/silence/${id}` }],
      verifyText: `${d.alertname} is no longer silenced`,
      async run(log) {
        try { await am.expireSilence(id); } catch (e) { return cutOrThrow(e, 'expiry', base); }
        log(`silence ${id} expired`);
        await inst.refreshNow();
      },
      // The alert may also have resolved meanwhile: gone from the model is not silenced either.
      verify: (objs) => !alertOf(objs)?.silenced,
      verifyTimeoutMs: 30_000,
      auditName: 'prometheus.expire-silence',
    };
  }
  return undefined;
}
