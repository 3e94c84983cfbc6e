/**
 * The CustomResourceDefinitions Sluice installs, generated from the schemas in this folder.
 * `npm run gen:crds` writes them to deploy/crds/ (and the Helm chart's copy); a unit test fails
 * if either is stale. Each CRD carries a hash of its spec (`sluice.dev/schema-hash`), so a
 * controller can tell an outdated CRD from a current one, however it was installed
 * (`sluice install-crds`, `kubectl apply -f deploy/crds`, the Helm chart).
 */
import { createHash } from 'node:crypto';
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

/** The annotation holding the hash of a CRD's spec. */
export const SCHEMA_HASH_ANNOTATION = 'sluice.dev/schema-hash';

/** The CRD with the hash of its spec in the schema-hash annotation. */
export function withSchemaHash(crd: KubeObject): KubeObject {
  const hash = createHash('sha256').update(JSON.stringify(crd.spec)).digest('hex').slice(0, 16);
  return {
    ...crd,
    metadata: {
      ...crd.metadata,
      annotations: { ...crd.metadata.annotations, [SCHEMA_HASH_ANNOTATION]: hash },
    },
  };
}

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

/** Every CRD of Sluice, each with its schema hash. */
export function allCrds(): KubeObject[] {
  return [applicationCrd()].map(withSchemaHash);
}
