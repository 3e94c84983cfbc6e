/**
 * The whole loop from a commit to production (issue 12), as files and resources a platform team
 * would write: used by `sluice demo`, the loop's e2e test and `npm run bench:loop`, so all three
 * run the same thing.
 *
 * Two Git repositories:
 * - the app's **source** (`Containerfile`, `test.sh`, `scan/grype.json`): each push to main starts
 *   the `web-ci` Pipeline through the Trigger `web` (polling, no webhook needed);
 * - the **deploy** repository (`envs/dev`, `envs/staging`, `envs/prod`, each a Kustomization
 *   whose `images:` entry `web` says what runs there), which three Applications deliver.
 *
 *   push ─▶ Trigger web ─▶ PipelineRun web-ci:
 *             clone ─┬─ test ───────────┬─ deploy-dev (set-image: a commit to envs/dev)
 *                    └─ build ─ scan ───┘
 *   envs/dev synced ─▶ Promotion web: staging after dev ran the digest for the soak time
 *                     ─▶ prod after `sluice promote approve prod`, as a canary with analysis
 *
 * `build` is buildah (daemonless) pushing `<image>:<commit>` and `:<short commit>` to the dev
 * cluster's registry; `scan` is the scan-gate reading the report in `scan/grype.json`. No
 * scanner runs on this machine (Trivy and Grype need a vulnerability database from the
 * internet), so the source repository carries the report a scanner step would write there; the
 * gate's verdict on it is real. Everything the pipeline runs is a catalog Task (catalog/).
 */
import { stringify } from 'yaml';
import type { Application } from '../api/application.ts';
import type { Pipeline } from '../api/pipeline.ts';
import type { Promotion } from '../api/promotion.ts';
import type { Trigger } from '../api/trigger.ts';
import { REAL_NODE_LABEL } from '../devcluster/node/config.ts';
import type { KubeObject } from '../kube/types.ts';

const API = 'sluice.dev/v1alpha1';
/** The namespace of the demo's loop (tests use their own). */
export const LOOP_NAMESPACE = 'loop';
export const LOOP_PIPELINE = 'web-ci';
export const LOOP_TRIGGER = 'web';
export const LOOP_PROMOTION = 'web';
export const LOOP_ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type LoopEnvironment = (typeof LOOP_ENVIRONMENTS)[number];
/** The Secret (basic-auth) the pipeline's Git tasks use for both repositories. */
export const LOOP_GIT_SECRET = 'loop-git';
/** The `images:` entry the manifests use for the app (`image: web`). */
export const LOOP_IMAGE_NAME = 'web';
/** The image the app starts from (pushed by `sluice dev-cluster up`). */
export const LOOP_BASE_IMAGE = 'localhost:5000/sample-app:v1';
const BASE_NAME = LOOP_BASE_IMAGE.slice(0, LOOP_BASE_IMAGE.lastIndexOf(':'));
const BASE_TAG = LOOP_BASE_IMAGE.slice(LOOP_BASE_IMAGE.lastIndexOf(':') + 1);
/** The port the sample app serves `/`, `/healthz` and `/metrics` on. */
export const LOOP_APP_PORT = 8080;

export interface LoopOptions {
  /** Where the Pipeline, Trigger, Promotion and Applications live, and the apps run. */
  namespace: string;
  /** The source repository as the controller reads it (the Trigger polls it). */
  sourceRepoURL: string;
  /** The same repository as the task pods reach it (git-clone). */
  sourceCloneURL: string;
  /** The deploy repository as the controller reads and writes it (Applications, Promotion). */
  deployRepoURL: string;
  /** The same repository as the task pods reach it (set-image pushes there). */
  deployPushURL: string;
  /** The repository the build pushes to: `localhost:5000/<namespace>/web`. */
  image: string;
  /** Sluice's image (git-clone, scan-gate, set-image). */
  sluiceImage: string;
  /** The buildah image (buildah-build-push). */
  buildahImage: string;
  /** Prometheus as the controller reaches it (prod's analysis). */
  prometheusURL: string;
  /** How often the Trigger polls the source repository (Go duration). */
  pollInterval: string;
  /** How long dev must run a digest before staging gets it (Go duration). */
  soak: string;
}

export const appName = (env: LoopEnvironment): string => `web-${env}`;
/** prod's stable and canary Services (NodePorts). */
export const PROD_SERVICES = [`${appName('prod')}-stable`, `${appName('prod')}-canary`] as const;

// ---- the source repository -------------------------------------------------------------------

/** The app's Containerfile: the sample web app, reporting the commit it was built from. */
export const LOOP_CONTAINERFILE = `# The web app: the sample server, reporting the commit it was built from at /.
FROM ${LOOP_BASE_IMAGE}
ARG VERSION=dev
ENV VERSION=\${VERSION}
`;

/** The app's tests (run by the run-tests Task in busybox). */
export const LOOP_TEST_SCRIPT = `#!/bin/sh
# The app's tests: run by the pipeline's test task before anything is deployed.
set -eu
grep -q '^FROM ' Containerfile || { echo "FAIL: Containerfile has no FROM" >&2; exit 1; }
grep -q '^ENV VERSION=' Containerfile || { echo "FAIL: the image must report its VERSION" >&2; exit 1; }
echo "ok: 2 checks passed"
`;

/** A failing version of the tests, as a bad commit would make them. */
export const LOOP_FAILING_TEST_SCRIPT = `#!/bin/sh
echo "FAIL: GET / answered 500, want 200" >&2
exit 1
`;

export interface GrypeMatch {
  id: string;
  severity: 'Negligible' | 'Low' | 'Medium' | 'High' | 'Critical';
  package: string;
  version: string;
  fixedIn?: string;
}

/** A Grype JSON report (the fields scan-gate reads) with these findings. */
export function grypeReport(image: string, matches: readonly GrypeMatch[]): string {
  const report = {
    matches: matches.map((m) => ({
      vulnerability: {
        id: m.id,
        severity: m.severity,
        fix: m.fixedIn
          ? { versions: [m.fixedIn], state: 'fixed' }
          : { versions: [], state: 'not-fixed' },
        cvss: [],
      },
      relatedVulnerabilities: [],
      artifact: { name: m.package, version: m.version, type: 'go-module' },
    })),
    source: { type: 'image', target: { userInput: image } },
    descriptor: { name: 'grype' },
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function sourceFiles(o: Pick<LoopOptions, 'image'>): Record<string, string> {
  return {
    'README.md':
      '# web\n\nThe web app. A push to main is tested, built, scanned and deployed to dev by Sluice (Trigger `web`).\n',
    Containerfile: LOOP_CONTAINERFILE,
    'test.sh': LOOP_TEST_SCRIPT,
    'scan/grype.json': grypeReport(o.image, []),
  };
}

// ---- the deploy repository -------------------------------------------------------------------

const realNode = `      nodeSelector: { ${REAL_NODE_LABEL}: "true" }
      tolerations: [{ key: ${REAL_NODE_LABEL}, operator: Exists }]
      terminationGracePeriodSeconds: 2`;

const container = `      containers:
        - name: web
          image: ${LOOP_IMAGE_NAME} # set by the images: entry of the kustomization
          ports: [{ name: http, containerPort: ${LOOP_APP_PORT} }]
          readinessProbe: { httpGet: { path: /healthz, port: ${LOOP_APP_PORT} }, periodSeconds: 1 }`;

const kustomization = (
  env: LoopEnvironment,
  resources: string[],
): string => `# ${env}: what runs there. The images: entry is written by ${env === 'dev' ? "CI's set-image task" : 'the Promotion web'}.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [${resources.join(', ')}]
images:
  - name: ${LOOP_IMAGE_NAME}
    newName: ${BASE_NAME}
    newTag: ${BASE_TAG}
`;

const deployment = (env: LoopEnvironment): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${appName(env)}
spec:
  replicas: 1
  selector:
    matchLabels: { app: ${appName(env)} }
  template:
    metadata:
      labels: { app: ${appName(env)} }
    spec:
${realNode}
${container}
`;

const prodRollout = `apiVersion: ${API}
kind: Rollout
metadata:
  name: ${appName('prod')}
spec:
  replicas: 2
  revisionHistoryLimit: 2
  selector:
    matchLabels: { app: ${appName('prod')} }
  template:
    metadata:
      labels: { app: ${appName('prod')} }
    spec:
${realNode}
${container}
  strategy:
    canary:
      stableService: ${appName('prod')}-stable
      canaryService: ${appName('prod')}-canary
      steps:
        - setWeight: 50
        - analysis:
            templates: [{ templateName: success-rate }]
            args: [{ name: canary-hash, valueFrom: { podTemplateHashValue: Latest } }]
`;

const prodService = (name: string): string => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  annotations: { sluice.dev/sync-wave: "-1" }
spec:
  type: NodePort
  selector: { app: ${appName('prod')} }
  # A NodePort the API server picks: this machine sends prod traffic there.
  ports: [{ port: 80, targetPort: ${LOOP_APP_PORT} }]
`;

const prodAnalysis = (prometheusURL: string): string => `apiVersion: ${API}
kind: AnalysisTemplate
metadata:
  name: success-rate
  annotations: { sluice.dev/sync-wave: "-1" }
spec:
  args:
    - name: canary-hash
  metrics:
    - name: success-rate
      # Three measurements 2 s apart, each over the canary pods' requests of the last 10 s,
      # from when the new pods have been scraped twice (before that the query has no data).
      initialDelay: 5s
      interval: 2s
      count: 3
      successCondition: result[0] >= 0.95
      provider:
        prometheus:
          address: ${prometheusURL}
          query: |
            sum(rate(http_requests_total{rollouts_pod_template_hash="{{args.canary-hash}}",code!~"5.."}[10s]))
            /
            sum(rate(http_requests_total{rollouts_pod_template_hash="{{args.canary-hash}}"}[10s]))
`;

export function deployFiles(o: Pick<LoopOptions, 'prometheusURL'>): Record<string, string> {
  return {
    'README.md':
      '# deploy\n\nWhat runs in each environment. envs/dev is written by CI, envs/staging and envs/prod by the Promotion `web`; never by hand.\n',
    'envs/dev/kustomization.yaml': kustomization('dev', ['deployment.yaml']),
    'envs/dev/deployment.yaml': deployment('dev'),
    'envs/staging/kustomization.yaml': kustomization('staging', ['deployment.yaml']),
    'envs/staging/deployment.yaml': deployment('staging'),
    'envs/prod/kustomization.yaml': kustomization('prod', [
      'services.yaml',
      'analysis.yaml',
      'rollout.yaml',
    ]),
    'envs/prod/rollout.yaml': prodRollout,
    'envs/prod/services.yaml': `${prodService(PROD_SERVICES[0])}---\n${prodService(PROD_SERVICES[1])}`,
    'envs/prod/analysis.yaml': prodAnalysis(o.prometheusURL),
  };
}

// ---- the resources ---------------------------------------------------------------------------

const onRealNode = {
  nodeSelector: { [REAL_NODE_LABEL]: 'true' },
  tolerations: [{ key: REAL_NODE_LABEL, operator: 'Exists' }],
};

export function pipeline(o: LoopOptions): Pipeline {
  const p = (name: string, value: string | string[]) => ({ name, value });
  return {
    apiVersion: API,
    kind: 'Pipeline',
    metadata: { name: LOOP_PIPELINE, namespace: o.namespace },
    spec: {
      description:
        'Tests, builds, scans and pushes the web app, then writes its digest into envs/dev of the deploy repository.',
      params: [
        { name: 'revision', description: 'the commit to build' },
        {
          name: 'ref',
          description: 'the pushed ref (a tag build also gets its version)',
          default: '',
        },
      ],
      workspaces: [
        { name: 'src', description: 'the checked-out sources' },
        { name: 'git-auth', description: 'basic-auth for both repositories' },
      ],
      tasks: [
        {
          name: 'clone',
          taskRef: { name: 'git-clone' },
          params: [
            p('url', o.sourceCloneURL),
            p('revision', '$(params.revision)'),
            p('gitImage', o.sluiceImage),
          ],
          workspaces: [
            { name: 'output', workspace: 'src' },
            { name: 'basic-auth', workspace: 'git-auth' },
          ],
        },
        {
          name: 'test',
          runAfter: ['clone'],
          taskRef: { name: 'run-tests' },
          params: [p('image', 'localhost:5000/busybox:latest'), p('script', 'sh test.sh')],
          workspaces: [{ name: 'source', workspace: 'src' }],
        },
        {
          name: 'build',
          runAfter: ['clone'],
          taskRef: { name: 'buildah-build-push' },
          params: [
            p('IMAGE', o.image),
            p('COMMIT', '$(tasks.clone.results.commit)'),
            p('REF', '$(params.ref)'),
            p('TLSVERIFY', 'false'),
            p('BUILD_ARGS', ['VERSION=$(tasks.clone.results.short-commit)']),
            p('BUILDER_IMAGE', o.buildahImage),
          ],
          workspaces: [{ name: 'source', workspace: 'src' }],
        },
        {
          name: 'scan',
          runAfter: ['build'],
          taskRef: { name: 'scan-gate' },
          params: [
            p('report', 'scan/grype.json'),
            p('severity', 'HIGH'),
            p('sluiceImage', o.sluiceImage),
          ],
          workspaces: [{ name: 'source', workspace: 'src' }],
        },
        {
          name: 'deploy-dev',
          runAfter: ['test', 'scan'],
          taskRef: { name: 'set-image' },
          params: [
            p('repo-url', o.deployPushURL),
            p('path', 'envs/dev'),
            p(
              'image',
              `${LOOP_IMAGE_NAME}=$(tasks.build.results.IMAGE_URL)@$(tasks.build.results.IMAGE_DIGEST)`,
            ),
            p('source-commit', '$(tasks.clone.results.commit)'),
            // DORA's lead time runs from the developer's commit, carried in the commit message.
            p('source-commit-time', '$(tasks.clone.results.committer-date)'),
            p('sluiceImage', o.sluiceImage),
          ],
          workspaces: [{ name: 'basic-auth', workspace: 'git-auth' }],
        },
      ],
    },
  };
}

export function trigger(o: LoopOptions): Trigger {
  return {
    apiVersion: API,
    kind: 'Trigger',
    metadata: { name: LOOP_TRIGGER, namespace: o.namespace },
    spec: {
      repoURL: o.sourceRepoURL,
      branches: ['main'],
      pollInterval: o.pollInterval,
      concurrencyPolicy: 'Queue',
      template: {
        spec: {
          pipelineRef: { name: LOOP_PIPELINE },
          params: [
            { name: 'revision', value: '$(trigger.sha)' },
            { name: 'ref', value: '$(trigger.ref)' },
          ],
          workspaces: [
            {
              name: 'src',
              volumeClaimTemplate: {
                spec: {
                  accessModes: ['ReadWriteOnce'],
                  resources: { requests: { storage: '64Mi' } },
                },
              },
            },
            { name: 'git-auth', secret: { secretName: LOOP_GIT_SECRET } },
          ],
          // On the real node, on its network: the registry is localhost:5000 there, as the
          // node's kubelet pulls it.
          taskRunTemplate: { podTemplate: { ...onRealNode, hostNetwork: true } },
        },
      },
    },
  };
}

export function promotion(o: LoopOptions): Promotion {
  const git = (env: LoopEnvironment) => ({
    repoURL: o.deployRepoURL,
    branch: 'main',
    path: `envs/${env}`,
    kustomize: { image: LOOP_IMAGE_NAME },
  });
  return {
    apiVersion: API,
    kind: 'Promotion',
    metadata: { name: LOOP_PROMOTION, namespace: o.namespace },
    spec: {
      image: o.image,
      environments: [
        { name: 'dev', applications: [appName('dev')] },
        {
          name: 'staging',
          applications: [appName('staging')],
          git: git('staging'),
          gates: { soak: o.soak },
        },
        {
          name: 'prod',
          applications: [appName('prod')],
          git: git('prod'),
          gates: { approval: true },
        },
      ],
    },
  };
}

export function applications(o: LoopOptions): Application[] {
  return LOOP_ENVIRONMENTS.map((env) => ({
    apiVersion: API,
    kind: 'Application',
    metadata: {
      name: appName(env),
      namespace: o.namespace,
      labels: { 'sluice.dev/environment': env },
    },
    spec: {
      source: { repoURL: o.deployRepoURL, targetRevision: 'main', path: `envs/${env}` },
      destination: { namespace: o.namespace },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  }));
}

/** The basic-auth Secret the pipeline's Git tasks read. */
export function gitSecret(
  namespace: string,
  auth: { username: string; password: string },
): KubeObject & { type: string; stringData: Record<string, string> } {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: LOOP_GIT_SECRET, namespace },
    type: 'kubernetes.io/basic-auth',
    stringData: auth,
  };
}

/** Everything as one YAML stream, in the order to apply it (for people reading along). */
export function loopYaml(o: LoopOptions): string {
  return [pipeline(o), trigger(o), promotion(o), ...applications(o)]
    .map((r) => stringify(r, { lineWidth: 0 }))
    .join('---\n');
}
