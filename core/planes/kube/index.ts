import type { PlaneFactory } from '../plane';
import { KubePlane } from './plane';

export { KubePlane } from './plane';

export const kubePlaneFactory: PlaneFactory = {
  name: 'kube',
  create: (env) => new KubePlane(env),
};
