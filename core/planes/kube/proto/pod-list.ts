import protobuf from 'protobufjs/light.js';

// A pod list in the apiserver's protobuf encoding (`Accept: application/vnd.kubernetes.protobuf`), for the
// plane's first list of pods: the apiserver encodes protobuf several times faster than JSON, and at
// 10,000 pods its JSON encoding was most of the console's start (bench/README.md, `kube`). Only the
// fields the trimmed pod keeps are declared, with the field numbers of k8s.io/api core/v1 and
// k8s.io/apimachinery meta/v1 generated.proto; protobufjs skips every other field (managedFields, the
// pod spec's bulk) without building it. The decoded pod is handed to the same trimPod as a JSON pod,
// shaped as the JSON would be, so the rules see one shape whichever encoding the server chose.

/** What the console asks for: protobuf, or JSON from a server (or proxy) that has no protobuf for it. */
export const PROTOBUF_LIST_ACCEPT = 'application/vnd.kubernetes.protobuf,application/json;q=0.9';
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
/** The 4 bytes before every protobuf-encoded object (k8s.io/apimachinery runtime/serializer/protobuf). */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const str = { type: 'string' };
const time = { type: 'Time' };
const SCHEMA = {
  nested: {
    Unknown: { fields: { raw: { type: 'bytes', id: 2 }, contentType: { ...str, id: 4 } } },
    Time: { fields: { seconds: { type: 'int64', id: 1 } } },
    ListMeta: { fields: { resourceVersion: { ...str, id: 2 }, continue: { ...str, id: 3 } } },
    OwnerReference: { fields: { kind: { ...str, id: 1 }, name: { ...str, id: 3 }, uid: { ...str, id: 4 }, controller: { type: 'bool', id: 6 } } },
    ObjectMeta: {
      fields: {
        name: { ...str, id: 1 }, namespace: { ...str, id: 3 }, uid: { ...str, id: 5 }, resourceVersion: { ...str, id: 6 },
        generation: { type: 'int64', id: 7 }, creationTimestamp: { ...time, id: 8 }, deletionTimestamp: { ...time, id: 9 },
        labels: { keyType: 'string', type: 'string', id: 11 }, annotations: { keyType: 'string', type: 'string', id: 12 },
        ownerReferences: { rule: 'repeated', type: 'OwnerReference', id: 13 },
      },
    },
    Pod: { fields: { metadata: { type: 'ObjectMeta', id: 1 }, spec: { type: 'PodSpec', id: 2 }, status: { type: 'PodStatus', id: 3 } } },
    PodSpec: {
      fields: {
        volumes: { rule: 'repeated', type: 'Volume', id: 1 }, containers: { rule: 'repeated', type: 'Container', id: 2 },
        restartPolicy: { ...str, id: 3 }, nodeName: { ...str, id: 10 }, initContainers: { rule: 'repeated', type: 'Container', id: 20 },
      },
    },
    Volume: { fields: { name: { ...str, id: 1 }, volumeSource: { type: 'VolumeSource', id: 2 } } },
    // `ephemeral` is declared only to be seen: its claim's name comes from the pod and the volume.
    VolumeSource: { fields: { persistentVolumeClaim: { type: 'ClaimSource', id: 10 }, ephemeral: { type: 'Present', id: 29 } } },
    ClaimSource: { fields: { claimName: { ...str, id: 1 } } },
    Present: { fields: {} },
    Container: {
      fields: {
        name: { ...str, id: 1 }, image: { ...str, id: 2 }, ports: { rule: 'repeated', type: 'ContainerPort', id: 6 },
        resources: { type: 'ResourceRequirements', id: 8 },
      },
    },
    ContainerPort: { fields: { name: { ...str, id: 1 }, containerPort: { type: 'int32', id: 3 }, protocol: { ...str, id: 4 } } },
    ResourceRequirements: { fields: { requests: { keyType: 'string', type: 'Quantity', id: 2 } } },
    Quantity: { fields: { string: { ...str, id: 1 } } },
    PodStatus: {
      fields: {
        phase: { ...str, id: 1 }, conditions: { rule: 'repeated', type: 'PodCondition', id: 2 }, message: { ...str, id: 3 },
        reason: { ...str, id: 4 }, podIP: { ...str, id: 6 }, startTime: { ...time, id: 7 },
        containerStatuses: { rule: 'repeated', type: 'ContainerStatus', id: 8 }, initContainerStatuses: { rule: 'repeated', type: 'ContainerStatus', id: 10 },
      },
    },
    PodCondition: {
      fields: { type: { ...str, id: 1 }, status: { ...str, id: 2 }, lastTransitionTime: { ...time, id: 4 }, reason: { ...str, id: 5 }, message: { ...str, id: 6 } },
    },
    ContainerStatus: {
      fields: {
        name: { ...str, id: 1 }, state: { type: 'ContainerState', id: 2 }, lastState: { type: 'ContainerState', id: 3 },
        ready: { type: 'bool', id: 4 }, restartCount: { type: 'int32', id: 5 }, image: { ...str, id: 6 }, started: { type: 'bool', id: 9 },
      },
    },
    ContainerState: { fields: { waiting: { type: 'StateWaiting', id: 1 }, running: { type: 'StateRunning', id: 2 }, terminated: { type: 'StateTerminated', id: 3 } } },
    StateWaiting: { fields: { reason: { ...str, id: 1 }, message: { ...str, id: 2 } } },
    StateRunning: { fields: { startedAt: { ...time, id: 1 } } },
    StateTerminated: {
      fields: {
        exitCode: { type: 'int32', id: 1 }, signal: { type: 'int32', id: 2 }, reason: { ...str, id: 3 }, message: { ...str, id: 4 },
        startedAt: { ...time, id: 5 }, finishedAt: { ...time, id: 6 },
      },
    },
  },
};

let types: { unknown: protobuf.Type; listMeta: protobuf.Type; pod: protobuf.Type } | undefined;
function typesOf() {
  if (!types) {
    const root = protobuf.Root.fromJSON(SCHEMA);
    types = { unknown: root.lookupType('Unknown'), listMeta: root.lookupType('ListMeta'), pod: root.lookupType('Pod') };
  }
  return types;
}

type Msg = Record<string, any>;

/**
 * An int64 as protobufjs gives it: a number, or a Long when the `long` package is installed. From the
 * Long's halves, not its toString (which was a tenth of the decode).
 */
function int64(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'high' in v && 'low' in v) return (v as { high: number }).high * 4294967296 + ((v as { low: number }).low >>> 0);
  return undefined;
}

/** Pods made together share their seconds: each text is made once (bounded, cleared when full). */
const times = new Map<number, string>();
/** metav1.Time as its JSON: RFC 3339 in UTC, whole seconds ("2026-12-06T20:41:07Z"). */
function timeText(t: Msg | null | undefined): string | undefined {
  const s = int64(own(t, 'seconds'));
  // Go's zero time (year 1, seconds < 0) is what a Time never set encodes to; its JSON is null.
  if (s === undefined || s < 0) return undefined;
  let text = times.get(s);
  if (text === undefined) {
    if (times.size >= 4096) times.clear();
    text = new Date(s * 1000).toISOString().replace('.000Z', 'Z');
    times.set(s, text);
  }
  return text;
}

/**
 * Only the fields set on the wire (protobufjs puts defaults on the prototype). The apiserver writes every
 * plain string field, empty ones too, where its JSON omits them (`omitempty`): '' reads as absent.
 */
function own<T>(m: Msg | null | undefined, k: string): T | undefined {
  if (!m || !Object.prototype.hasOwnProperty.call(m, k)) return undefined;
  const v = m[k];
  return v === '' ? undefined : (v as T);
}

function metaJson(m: Msg | undefined): Msg {
  if (!m) return {};
  return {
    name: own(m, 'name'), namespace: own(m, 'namespace'), uid: own(m, 'uid'), resourceVersion: own(m, 'resourceVersion'),
    generation: int64(own(m, 'generation')), creationTimestamp: timeText(own(m, 'creationTimestamp')), deletionTimestamp: timeText(own(m, 'deletionTimestamp')),
    labels: own(m, 'labels'), annotations: own(m, 'annotations'),
    ownerReferences: (own<Msg[]>(m, 'ownerReferences') ?? []).map((o) => ({ kind: own(o, 'kind'), name: own(o, 'name'), uid: own(o, 'uid'), controller: own(o, 'controller') })),
  };
}

function stateJson(s: Msg | undefined): Msg | undefined {
  if (!s) return undefined;
  const w = own<Msg>(s, 'waiting'), r = own<Msg>(s, 'running'), t = own<Msg>(s, 'terminated');
  if (w) return { waiting: { reason: own(w, 'reason'), message: own(w, 'message') } };
  if (r) return { running: { startedAt: timeText(own(r, 'startedAt')) } };
  if (t) return { terminated: { exitCode: own(t, 'exitCode') ?? 0, signal: own(t, 'signal') || undefined, reason: own(t, 'reason'), message: own(t, 'message'), startedAt: timeText(own(t, 'startedAt')), finishedAt: timeText(own(t, 'finishedAt')) } };
  return {};
}

function statusesJson(list: Msg[] | undefined): Msg[] {
  return (list ?? []).map((c) => ({
    name: own(c, 'name'), image: own(c, 'image'), ready: own(c, 'ready') ?? false, started: own(c, 'started'),
    restartCount: own(c, 'restartCount') ?? 0, state: stateJson(own(c, 'state')), lastState: stateJson(own(c, 'lastState')),
  }));
}

function containersJson(list: Msg[] | undefined): Msg[] {
  return (list ?? []).map((c) => {
    const requests: Record<string, string> = {};
    for (const [k, q] of Object.entries(own<Record<string, Msg>>(own<Msg>(c, 'resources'), 'requests') ?? {})) {
      const v = own<string>(q, 'string');
      if (v !== undefined) requests[k] = v;
    }
    return {
      name: own(c, 'name'), image: own(c, 'image'),
      ports: (own<Msg[]>(c, 'ports') ?? []).map((p) => ({ name: own(p, 'name'), containerPort: own(p, 'containerPort') ?? 0, protocol: own(p, 'protocol') })),
      resources: { requests },
    };
  });
}

/** A decoded pod in the shape of its JSON (the fields trimPod reads). */
export function podJson(p: Msg): Msg {
  const spec = own<Msg>(p, 'spec'), st = own<Msg>(p, 'status');
  return {
    metadata: metaJson(own(p, 'metadata')),
    spec: {
      nodeName: own(spec, 'nodeName'), restartPolicy: own(spec, 'restartPolicy'),
      containers: containersJson(own(spec, 'containers')), initContainers: containersJson(own(spec, 'initContainers')),
      volumes: (own<Msg[]>(spec, 'volumes') ?? []).map((v) => {
        const src = own<Msg>(v, 'volumeSource');
        const pvc = own<Msg>(src, 'persistentVolumeClaim');
        return { name: own(v, 'name'), ...(pvc ? { persistentVolumeClaim: { claimName: own(pvc, 'claimName') } } : {}), ...(own(src, 'ephemeral') ? { ephemeral: {} } : {}) };
      }),
    },
    status: {
      phase: own(st, 'phase'), reason: own(st, 'reason'), message: own(st, 'message'), podIP: own(st, 'podIP'), startTime: timeText(own(st, 'startTime')),
      conditions: (own<Msg[]>(st, 'conditions') ?? []).map((c) => ({ type: own(c, 'type'), status: own(c, 'status'), reason: own(c, 'reason'), message: own(c, 'message'), lastTransitionTime: timeText(own(c, 'lastTransitionTime')) })),
      containerStatuses: statusesJson(own(st, 'containerStatuses')), initContainerStatuses: statusesJson(own(st, 'initContainerStatuses')),
    },
  };
}

export interface ListMetaFields { resourceVersion?: string; continue?: string }

function listBytes(body: Buffer): Uint8Array {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new Error('a protobuf answer without the k8s\\0 prefix');
  const envelope = typesOf().unknown.decode(body.subarray(4)) as Msg;
  const raw = own<Uint8Array>(envelope, 'raw');
  if (!raw) throw new Error('a protobuf answer with no object in it');
  return raw;
}

/**
 * The pod list in the body of a protobuf answer, one pod at a time to `onPod` (in its JSON shape),
 * yielding to the event loop every `every` pods: a whole cluster's list (50,000 pods, ~110 MB) is decoded
 * without holding the engine for seconds or keeping every decoded pod alive at once. Rejects naming what
 * is wrong with a body that is not one.
 */
export async function decodePodListEach(body: Buffer, onPod: (pod: Msg) => void, every = 500): Promise<ListMetaFields> {
  const { listMeta, pod } = typesOf();
  const r = protobuf.Reader.create(listBytes(body));
  let meta: Msg | undefined;
  let n = 0;
  // PodList: metadata (ListMeta) = 1, items (Pod) = 2; walked here so each pod is decoded on its own.
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) meta = listMeta.decode(r, r.uint32()) as Msg;
    else if (tag >>> 3 === 2 && (tag & 7) === 2) {
      onPod(podJson(pod.decode(r, r.uint32()) as Msg));
      if (++n % every === 0) await new Promise((resolve) => setImmediate(resolve));
    } else r.skipType(tag & 7);
  }
  return { resourceVersion: own(meta, 'resourceVersion'), continue: own(meta, 'continue') || undefined };
}
