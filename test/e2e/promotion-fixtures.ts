/**
 * The environments of the Promotion tests (promotion.test.ts, promotion-pr.test.ts): one
 * Deployment per environment of the image `team/web`, its version set by a kustomization's
 * `images:` entry with a comment the promotions' edits must keep.
 */
export const IMAGE = 'localhost:5000/team/web';
export const digest = (c: string): string => `sha256:${c.repeat(64)}`;

export const kustomization = (d: string): string => `resources: [deployment.yaml]
images:
  # the version this environment runs (written by Sluice's promotions)
  - name: ${IMAGE}
    digest: ${d}
`;

export const deployment = (env: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web-${env}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web-${env}}}
  template:
    metadata: {labels: {app: web-${env}}}
    spec: {containers: [{name: web, image: ${IMAGE}}]}
`;
