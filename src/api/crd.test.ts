import { readFile } from 'node:fs/promises';
import { Value } from 'typebox/value';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ApplicationSpecSchema } from './application.ts';
import { allCrds, applicationCrd, SCHEMA_HASH_ANNOTATION, withSchemaHash } from './crd.ts';

function walk(node: unknown, visit: (n: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === 'object') {
    visit(node as Record<string, unknown>);
    Object.values(node).forEach((n) => walk(n, visit));
  }
}

describe('Application CRD', () => {
  it.each(allCrds().map((c) => [c.metadata.name, c] as const))(
    'deploy/crds/%s.yaml is up to date with the schemas (run `npm run gen:crds`)',
    async (name, crd) => {
      const file = parse(await readFile(`deploy/crds/${name}.yaml`, 'utf8')) as unknown;
      expect(file).toEqual(crd);
    },
  );

  it('carries the schema hash the controller checks, whichever way it is installed', () => {
    const [crd] = allCrds();
    const hash = crd?.metadata.annotations?.[SCHEMA_HASH_ANNOTATION];
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    // Any change of the schema changes the hash, so an outdated CRD is told apart.
    const changed = applicationCrd();
    (changed.spec as { scope: string }).scope = 'Cluster';
    expect(withSchemaHash(changed).metadata.annotations?.[SCHEMA_HASH_ANNOTATION]).not.toBe(hash);
  });

  it('every CRD is a structural schema: no patternProperties, $ref or TypeBox markers', () => {
    walk(allCrds(), (n) => {
      expect(n).not.toHaveProperty('patternProperties');
      expect(n).not.toHaveProperty('$ref');
      expect(n).not.toHaveProperty('$id');
    });
  });

  it('accepts the Application of the design document and rejects a missing repoURL', () => {
    const spec = {
      project: 'default',
      source: {
        repoURL: 'https://git.example.com/org/deploy.git',
        targetRevision: 'main',
        path: 'apps/guestbook',
        kustomize: { images: ['ghcr.io/org/guestbook:3f2a9c1'] },
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'guestbook' },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
        retry: { limit: 5, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
      },
      ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }],
      dependsOn: [{ name: 'database' }],
    };
    expect(Value.Check(ApplicationSpecSchema, spec)).toBe(true);
    expect(Value.Check(ApplicationSpecSchema, { ...spec, source: { path: 'x' } })).toBe(false);
  });
});
