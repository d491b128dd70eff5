import { describe, expect, it } from 'vitest';
import { kindTag } from '../../renderer/src/model/kindTag';

describe('the kind tag on a list row', () => {
  it('tells apart a StatefulSet, its Service and its Secret that share a name, with kubectl short names', () => {
    expect(['statefulset', 'service', 'secret', 'pod', 'pvc', 'deployment'].map((k) => kindTag('kube', k))).toEqual(['sts', 'svc', 'secret', 'pod', 'pvc', 'deploy']);
  });
  it('says nothing where the plane has one usual kind, and names any other', () => {
    expect(kindTag('docker', 'compose-service')).toBeUndefined();
    expect(kindTag('airflow', 'pool')).toBeUndefined();
    expect(kindTag('prometheus', 'alert')).toBeUndefined();
    expect(kindTag('ssh', 'host')).toBeUndefined();
    expect(kindTag('ssh', 'tunnel')).toBe('tunnel');
    expect(kindTag('docker', 'container')).toBe('container');
  });
});
