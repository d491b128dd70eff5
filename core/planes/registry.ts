import type { PlaneFactory } from './plane';
import { airflowPlaneFactory } from './airflow/plane';
import { dockerPlaneFactory } from './docker';
import { kubePlaneFactory } from './kube';
import { prometheusPlaneFactory } from './prometheus/plane';
import { sshPlaneFactory } from './ssh/plane';

/**
 * Every plane the engine starts by default. A new plane (kube, ssh, airflow ...) is one line here and
 * one folder beside docker/; the engine itself does not change.
 */
export const PLANE_FACTORIES: readonly PlaneFactory[] = [dockerPlaneFactory, sshPlaneFactory, kubePlaneFactory, airflowPlaneFactory, prometheusPlaneFactory];
