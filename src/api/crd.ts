/**
 * The CustomResourceDefinitions Sluice installs, generated from the schemas in this folder.
 * `npm run gen:crds` writes them to deploy/crds/; a unit test fails if that file is stale.
 */
import { Type } from 'typebox';
import type { KubeObject } from '../kube/types.ts';
import {
  ApplicationSpecSchema,
  ApplicationStatusSchema,
  GROUP,
  KIND,
  OperationSchema,
  VERSION,
} from './application.ts';
import { toOpenAPI } from './schema.ts';

export const APPLICATION_CRD_NAME = `applications.${GROUP}`;

export function applicationCrd(): KubeObject {
  const schema = toOpenAPI(
    Type.Object({
      apiVersion: Type.Optional(Type.String()),
      kind: Type.Optional(Type.String()),
      metadata: Type.Optional(Type.Object({})),
      spec: ApplicationSpecSchema,
      operation: Type.Optional(OperationSchema),
      status: Type.Optional(ApplicationStatusSchema),
    }),
  );
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: APPLICATION_CRD_NAME, labels: { 'app.kubernetes.io/part-of': 'sluice' } },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        plural: 'applications',
        singular: 'application',
        kind: KIND,
        listKind: `${KIND}List`,
        shortNames: ['app', 'apps'],
        categories: ['sluice'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Sync', type: 'string', jsonPath: '.status.sync.status' },
            { name: 'Health', type: 'string', jsonPath: '.status.health.status' },
            { name: 'Revision', type: 'string', jsonPath: '.status.sync.revision', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: schema },
        },
      ],
    },
  };
}

export function allCrds(): KubeObject[] {
  return [applicationCrd()];
}
