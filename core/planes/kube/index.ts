import type { PlaneEnv, PlaneFactory } from '../plane';
import { KubePlane } from './plane';

export { KubePlane } from './plane';

/** The engine's kube plane, by its PlaneEnv: the prometheus plane port-forwards to a Prometheus Service through it. */
const byEnv = new WeakMap<PlaneEnv, KubePlane>();
export const kubePlaneFor = (env: PlaneEnv): KubePlane | undefined => byEnv.get(env);

export const kubePlaneFactory: PlaneFactory = {
  name: 'kube',
  create: (env) => {
    const p = new KubePlane(env);
    byEnv.set(env, p);
    return p;
  },
};
