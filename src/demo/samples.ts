/**
 * The demo's Git repository: five sample sources, deployed as six Applications (the Kustomize
 * base twice, through its dev and prod overlays).
 *
 * guestbook/            plain YAML (Deployment, Service, ConfigMap)
 * podinfo/base          a Kustomize base, with overlays/dev (1 replica) and overlays/prod (3)
 * charts/shop           a Helm chart whose pre-install/pre-upgrade hook runs a migration Job
 * hello/                the sample web app, really running on the dev cluster's real node (its
 *                       image from the cluster's local registry), reachable on a NodePort
 * canary/               the sample web app as a Rollout: canary steps gated by a success-rate
 *                       analysis on Prometheus (canary-samples.ts)
 * ci/                   the sample web app's CI: a Tekton-shaped Task and Pipeline, and its
 *                       sources as a ConfigMap; run on the real node (ci-samples.ts)
 */
import { CANARY_APP, CANARY_FILES, CANARY_NAMESPACE } from './canary-samples.ts';
import { CI_APP, CI_NAMESPACE, CI_PIPELINE, ciFiles } from './ci-samples.ts';

/** The NodePort the demo's real app answers on, at the real node's address. */
export const HELLO_NODE_PORT = 30080;
const SAMPLE_FILES: Record<string, string> = {
  'README.md': `# Sluice demo repository

Each directory is one Application (podinfo: one per overlay). Edit, commit, and watch Sluice
roll it out with the commands \`sluice demo\` printed, e.g.:

    sluice app get guestbook --refresh

canary/ is a Rollout: commit a new VERSION (or ERROR_RATE) and watch it with

    sluice rollout get web -n canary --watch

ci/ is the hello app's CI pipeline (Tekton's fields); ci/runs/ holds a run of it:

    sluice pipeline run -f ci/runs/hello-ci.yaml -n ci --showlog
`,
  'guestbook/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: guestbook-ui
  labels: { app: guestbook-ui }
spec:
  replicas: 2
  selector:
    matchLabels: { app: guestbook-ui }
  template:
    metadata:
      labels: { app: guestbook-ui }
    spec:
      containers:
        - name: guestbook-ui
          image: gcr.io/heptio-images/ks-guestbook-demo:0.2
          ports: [{ containerPort: 80 }]
`,
  'guestbook/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: guestbook-ui
spec:
  selector: { app: guestbook-ui }
  ports: [{ port: 80, targetPort: 80 }]
`,
  'guestbook/config.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: guestbook-config
data:
  greeting: "Hello from Git"
`,
  'podinfo/base/kustomization.yaml': `resources:
  - deployment.yaml
  - service.yaml
labels:
  - pairs: { app.kubernetes.io/name: podinfo }
`,
  'podinfo/base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  replicas: 1
  selector:
    matchLabels: { app: podinfo }
  template:
    metadata:
      labels: { app: podinfo }
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.7.0
          ports: [{ containerPort: 9898 }]
`,
  'podinfo/base/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: podinfo
spec:
  selector: { app: podinfo }
  ports: [{ port: 9898 }]
`,
  'podinfo/overlays/dev/kustomization.yaml': `resources:
  - ../../base
nameSuffix: -dev
`,
  'podinfo/overlays/prod/kustomization.yaml': `resources:
  - ../../base
replicas:
  - name: podinfo
    count: 3
labels:
  - pairs: { env: prod }
`,
  'charts/shop/Chart.yaml': `apiVersion: v2
name: shop
description: A web shop with a database migration that runs before every upgrade
version: 0.1.0
appVersion: "1.0.0"
`,
  'charts/shop/values.yaml': `image: ghcr.io/example/shop:1.0.0
replicas: 2
schemaVersion: 1
`,
  'charts/shop/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: { app: {{ .Release.Name }}-web }
  template:
    metadata:
      labels: { app: {{ .Release.Name }}-web }
    spec:
      containers:
        - name: web
          image: {{ .Values.image }}
`,
  'charts/shop/templates/migrate-job.yaml': `apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-1"
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: {{ .Values.image }}
          command: ["shop", "migrate", "--to", "{{ .Values.schemaVersion }}"]
`,
  'hello/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  labels: { app: hello }
spec:
  replicas: 2
  selector:
    matchLabels: { app: hello }
  template:
    metadata:
      labels: { app: hello }
    spec:
      # Really runs: on the dev cluster's real node, not a simulated one.
      nodeSelector: { sluice.dev/real-node: "true" }
      tolerations: [{ key: sluice.dev/real-node, operator: Exists }]
      containers:
        - name: hello
          # The cluster's local registry, by the name every dev cluster's node knows it.
          image: localhost:5000/sample-app:v1
          env: [{ name: VERSION, value: v1 }]
          ports: [{ containerPort: 8080 }]
          readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 2 }
`,
  'hello/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: hello
spec:
  type: NodePort
  selector: { app: hello }
  ports: [{ port: 80, targetPort: 8080, nodePort: ${HELLO_NODE_PORT} }]
`,
  ...CANARY_FILES,
};

/** Every file of the sample repository. */
export const sampleFiles = (): Record<string, string> => ({ ...SAMPLE_FILES, ...ciFiles() });

export interface SampleApp {
  name: string;
  path: string;
  namespace: string;
  kind: string;
  /** Needs the dev cluster's real node (left out on a cluster without one). */
  realNode?: boolean;
  /** Needs the demo's Prometheus (left out without one). */
  prometheus?: boolean;
}

export const SAMPLE_APPS: readonly SampleApp[] = [
  { name: 'guestbook', path: 'guestbook', namespace: 'guestbook', kind: 'plain YAML' },
  {
    name: 'podinfo-dev',
    path: 'podinfo/overlays/dev',
    namespace: 'podinfo-dev',
    kind: 'Kustomize overlay',
  },
  {
    name: 'podinfo-prod',
    path: 'podinfo/overlays/prod',
    namespace: 'podinfo-prod',
    kind: 'Kustomize overlay',
  },
  { name: 'shop', path: 'charts/shop', namespace: 'shop', kind: 'Helm chart' },
  {
    name: 'hello',
    path: 'hello',
    namespace: 'hello',
    kind: 'plain YAML, real pods',
    realNode: true,
  },
  {
    name: CANARY_APP,
    path: 'canary',
    namespace: CANARY_NAMESPACE,
    kind: 'a Rollout with Prometheus analysis, real pods',
    realNode: true,
    prometheus: true,
  },
  {
    name: CI_APP,
    path: 'ci',
    namespace: CI_NAMESPACE,
    kind: `a Tekton-shaped Pipeline, ${CI_PIPELINE}; its tasks run on the real node`,
    realNode: true,
  },
];
