/** Who an app acts as on its destination: its own ServiceAccount, its project's default, or none. */
import { describe, expect, it } from 'vitest';
import type { Application } from '../api/application.ts';
import { actingAs, serviceAccountUser } from './impersonation.ts';
import type { Project } from './projects/rules.ts';

const app = (namespace: string | undefined, serviceAccountName?: string): Application => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: 'web', namespace: 'sluice-system' },
  spec: {
    source: { repoURL: 'file:///repo' },
    destination: {
      ...(namespace ? { namespace } : {}),
      ...(serviceAccountName !== undefined ? { serviceAccountName } : {}),
    },
  },
});

const project: Project = {
  name: 'team-a',
  spec: {
    destinationServiceAccounts: [
      {
        server: 'https://kubernetes.default.svc',
        namespace: 'team-a-*',
        defaultServiceAccount: 'deployer',
      },
      { server: '*', namespace: 'shared', defaultServiceAccount: 'platform:shared-deployer' },
    ],
  },
};
const local = { server: 'https://kubernetes.default.svc', name: 'in-cluster' };
const far = { server: 'https://10.0.0.9', name: 'prod' };

describe('actingAs', () => {
  it.each<[string, Application, Project | undefined, typeof local, string | undefined]>([
    [
      'the app’s own ServiceAccount, in its destination namespace',
      app('team-a-web', 'deployer'),
      undefined,
      local,
      'system:serviceaccount:team-a-web:deployer',
    ],
    [
      'its own wins over the project’s',
      app('team-a-web', 'mine'),
      project,
      local,
      'system:serviceaccount:team-a-web:mine',
    ],
    [
      'no namespace: the default namespace',
      app(undefined, 'deployer'),
      undefined,
      local,
      'system:serviceaccount:default:deployer',
    ],
    ['a blank name is none', app('team-a-web', '  '), undefined, local, undefined],
    [
      'the project’s default for the destination',
      app('team-a-web'),
      project,
      local,
      'system:serviceaccount:team-a-web:deployer',
    ],
    [
      'the project’s default given as namespace:name',
      app('shared'),
      project,
      far,
      'system:serviceaccount:platform:shared-deployer',
    ],
    ['no entry matches: the controller itself', app('team-b'), project, local, undefined],
    ['no entry for that cluster', app('team-a-web'), project, far, undefined],
    ['nothing named: the controller itself', app('team-a-web'), undefined, local, undefined],
  ])('%s', (_what, a, p, cluster, user) => {
    const sa = actingAs(a, p, cluster);
    expect(sa ? serviceAccountUser(sa) : undefined).toBe(user);
  });
});
