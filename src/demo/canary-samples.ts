/**
 * The demo's canary app (directory `canary/` of the sample repository, Application `canary`):
 * the sample web app as a Rollout on the real node, moved to each new version in canary steps
 * (20 % of the pods, a 10 s pause, a success-rate analysis on Prometheus, 50 %, then all),
 * a Service for the stable and one for the canary pods on NodePorts, and the AnalysisTemplate.
 *
 * Without a traffic router the weight is the canary's share of the pods (Argo's basic canary);
 * the controller points `web-stable` at the stable pods and `web-canary` at the new ones. The
 * analysis reads the requests of the new pods only (their pod-template hash, a label the
 * demo's Prometheus gives each pod's series), over 20 s, and wants 95 % of them to succeed.
 *
 * The walk-through edits the container's VERSION and ERROR_RATE (`withVersion`) and commits.
 */

export const CANARY_APP = 'canary';
export const CANARY_NAMESPACE = 'canary';
export const CANARY_ROLLOUT = 'web';
/** The NodePorts of the stable and canary Services, at the real node's address. */
export const STABLE_NODE_PORT = 30081;
export const CANARY_NODE_PORT = 30082;
/** The demo's Prometheus; the AnalysisTemplate in Git names it, so it cannot move. */
export const DEMO_PROMETHEUS_PORT = 19090;
/** The port the sample app serves `/` and `/metrics` on, in its pods. */
export const APP_PORT = 8080;
/** The analysis' bar (kept in step with the AnalysisTemplate below). */
export const MIN_SUCCESS_RATE = 0.95;

const ROLLOUT = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata:
  name: ${CANARY_ROLLOUT}
spec:
  replicas: 4
  revisionHistoryLimit: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      # Really runs: on the dev cluster's real node, not a simulated one.
      nodeSelector: { sluice.dev/real-node: "true" }
      tolerations: [{ key: sluice.dev/real-node, operator: Exists }]
      terminationGracePeriodSeconds: 2
      containers:
        - name: web
          image: localhost:5000/sample-app:v1
          env:
            - { name: VERSION, value: v1 }
            # The share of requests to / answered with a 500.
            - { name: ERROR_RATE, value: "0" }
          ports: [{ name: http, containerPort: ${APP_PORT} }]
          readinessProbe: { httpGet: { path: /healthz, port: ${APP_PORT} }, periodSeconds: 1 }
  strategy:
    canary:
      stableService: web-stable
      canaryService: web-canary
      steps:
        - setWeight: 20
        - pause: { duration: 10s }
        - analysis:
            templates: [{ templateName: success-rate }]
            args: [{ name: canary-hash, valueFrom: { podTemplateHashValue: Latest } }]
        - setWeight: 50
        - pause: { duration: 5s }
`;

const service = (name: string, nodePort: number): string => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  # Before the Rollout, which waits for the Services it names.
  annotations: { sluice.dev/sync-wave: "-1" }
spec:
  type: NodePort
  # The Rollout controller adds the pod-template hash of the version this Service serves.
  selector: { app: web }
  ports: [{ port: 80, targetPort: ${APP_PORT}, nodePort: ${nodePort} }]
`;

const ANALYSIS = `apiVersion: sluice.dev/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
  annotations: { sluice.dev/sync-wave: "-1" }
spec:
  args:
    - name: canary-hash
  metrics:
    - name: success-rate
      # Three measurements 5 s apart; one below the bar fails the analysis (failureLimit 0).
      interval: 5s
      count: 3
      successCondition: result[0] >= ${MIN_SUCCESS_RATE}
      provider:
        prometheus:
          # Started by \`sluice demo\`, on this machine.
          address: http://127.0.0.1:${DEMO_PROMETHEUS_PORT}
          query: |
            sum(rate(http_requests_total{rollouts_pod_template_hash="{{args.canary-hash}}",code!~"5.."}[20s]))
            /
            sum(rate(http_requests_total{rollouts_pod_template_hash="{{args.canary-hash}}"}[20s]))
`;

export const CANARY_FILES: Record<string, string> = {
  'canary/rollout.yaml': ROLLOUT,
  'canary/services.yaml': `${service('web-stable', STABLE_NODE_PORT)}---\n${service('web-canary', CANARY_NODE_PORT)}`,
  'canary/analysis.yaml': ANALYSIS,
};

const VERSION_RE = /(- \{ name: VERSION, value: )(v\d+)( \})/;
const ERROR_RATE_RE = /(- \{ name: ERROR_RATE, value: ")([\d.]+)(" \})/;

/** The version the Rollout's manifest says (`v1`...), or undefined if it was edited away. */
export function versionOf(manifest: string): string | undefined {
  return VERSION_RE.exec(manifest)?.[2];
}

/** The version after `v<n>`: `v<n+1>` (`v2` after anything else). */
export function nextVersion(version: string | undefined): string {
  const n = Number(/^v(\d+)$/.exec(version ?? '')?.[1] ?? 1);
  return `v${n + 1}`;
}

/** The manifest with this version and error rate, or undefined when it has no such fields. */
export function withVersion(
  manifest: string,
  version: string,
  errorRate: number,
): string | undefined {
  if (!VERSION_RE.test(manifest) || !ERROR_RATE_RE.test(manifest)) return undefined;
  return manifest
    .replace(VERSION_RE, `$1${version}$3`)
    .replace(ERROR_RATE_RE, `$1${String(errorRate)}$3`);
}
