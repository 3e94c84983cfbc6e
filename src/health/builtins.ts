/** The checks Sluice ships, by API group and kind; anything else falls to the generic check. */
import { apiServiceHealth } from './apiservice.ts';
import { crdHealth } from './crd.ts';
import { cronJobHealth } from './cronjob.ts';
import { daemonSetHealth } from './daemonset.ts';
import { deploymentHealth } from './deployment.ts';
import { hpaHealth } from './hpa.ts';
import { ingressHealth } from './ingress.ts';
import { jobHealth } from './job.ts';
import { podHealth } from './pod.ts';
import { pvcHealth } from './pvc.ts';
import { replicaSetHealth } from './replicaset.ts';
import { rolloutHealth } from './rollout.ts';
import { serviceHealth } from './service.ts';
import { statefulSetHealth } from './statefulset.ts';
import type { HealthCheck } from './types.ts';

/** [group, kind, check]; the core group is ''. */
export const BUILTIN_CHECKS: ReadonlyArray<readonly [string, string, HealthCheck]> = [
  ['apps', 'Deployment', deploymentHealth],
  ['apps', 'StatefulSet', statefulSetHealth],
  ['apps', 'DaemonSet', daemonSetHealth],
  ['apps', 'ReplicaSet', replicaSetHealth],
  ['', 'Pod', podHealth],
  ['', 'Service', serviceHealth],
  ['', 'PersistentVolumeClaim', pvcHealth],
  ['networking.k8s.io', 'Ingress', ingressHealth],
  ['batch', 'Job', jobHealth],
  ['batch', 'CronJob', cronJobHealth],
  ['autoscaling', 'HorizontalPodAutoscaler', hpaHealth],
  ['apiextensions.k8s.io', 'CustomResourceDefinition', crdHealth],
  ['apiregistration.k8s.io', 'APIService', apiServiceHealth],
  ['sluice.dev', 'Rollout', rolloutHealth],
  ['argoproj.io', 'Rollout', rolloutHealth],
];
