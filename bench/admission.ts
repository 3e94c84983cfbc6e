/**
 * The admission benchmark: Sluice's validating webhook (src/policy/admission) on 127.0.0.1
 * with 20 ClusterPolicies — the six shipped in policies/ and fourteen more of the usual kinds
 * (labels, host namespaces, hostPath, capabilities, replicas, service types; patterns, anchors,
 * deny conditions with JMESPath; Enforce and Audit) — and an open-loop load generator sending
 * AdmissionReview v1 requests over TLS (keep-alive, as the API server does) at a fixed rate:
 * Pods and Deployments, good and bad. The server runs in its own thread so the generator does
 * not share its event loop. Latency is measured from send to response; the time inside the
 * server and the machine's load average are printed too (a busy machine shows in the tail).
 *
 *   npm run bench:admission -- [--rps 200] [--seconds 20] [--warmup 3]
 *
 * Its last line is one JSON object: {"policies":20,"rps":200,"p50_ms":..,"p99_ms":..,"errors":0}
 */
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { compilePolicy, type CompiledPolicy } from '../src/policy/compile.ts';
import { expandPaths, parseDocs } from '../src/policy/load.ts';
import { AdmissionServer } from '../src/policy/admission/server.ts';
import type { KubeObject } from '../src/kube/types.ts';

const POLICY_DIR = fileURLToPath(new URL('../policies/', import.meta.url));

/** Fourteen more policies of the kinds clusters usually run. */
function extraPolicies(): unknown[] {
  const cp = (name: string, action: string, rules: unknown[]): unknown => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'ClusterPolicy',
    metadata: { name },
    spec: { validationFailureAction: action, rules },
  });
  const pods = { any: [{ resources: { kinds: ['Pod'] } }] };
  const rule = (name: string, validate: unknown, match: unknown = pods): unknown => ({
    name,
    match,
    validate,
  });
  const out: unknown[] = [];
  for (const [i, action] of ['Enforce', 'Audit'].entries()) {
    const n = (s: string): string => `${s}-${i + 1}`;
    out.push(
      cp(n('require-labels'), action, [
        rule('check-labels', {
          message: '{{ request.object.metadata.name }} needs app.kubernetes.io/name',
          pattern: { metadata: { labels: { 'app.kubernetes.io/name': '?*' } } },
        }),
      ]),
      cp(n('disallow-host-namespaces'), action, [
        rule('host-namespaces', {
          message: 'host namespaces are not allowed',
          pattern: {
            spec: { '=(hostPID)': 'false', '=(hostIPC)': 'false', '=(hostNetwork)': 'false' },
          },
        }),
      ]),
      cp(n('disallow-host-path'), action, [
        rule('host-path', {
          message: 'hostPath volumes are not allowed',
          pattern: { spec: { '=(volumes)': [{ 'X(hostPath)': 'null' }] } },
        }),
      ]),
      cp(n('restrict-capabilities'), action, [
        rule('adding-capabilities', {
          message: 'only NET_BIND_SERVICE may be added',
          deny: {
            conditions: {
              all: [
                {
                  key: '{{ request.object.spec.containers[].securityContext.capabilities.add[] || `[]` }}',
                  operator: 'AnyNotIn',
                  value: ['NET_BIND_SERVICE'],
                },
              ],
            },
          },
        }),
      ]),
      cp(n('limit-replicas'), action, [
        rule(
          'max-replicas',
          {
            message: 'at most 50 replicas ({{ request.object.spec.replicas }} asked)',
            deny: {
              conditions: {
                any: [
                  {
                    key: '{{ request.object.spec.replicas || `1` }}',
                    operator: 'GreaterThan',
                    value: 50,
                  },
                ],
              },
            },
          },
          { any: [{ resources: { kinds: ['Deployment', 'StatefulSet'] } }] },
        ),
      ]),
      cp(n('restrict-service-types'), action, [
        rule(
          'no-nodeport',
          {
            message: 'NodePort Services are not allowed',
            pattern: { spec: { '=(type)': '!NodePort' } },
          },
          { any: [{ resources: { kinds: ['Service'] } }] },
        ),
      ]),
      cp(n('require-pod-seccomp'), action, [
        rule('seccomp', {
          message: 'a seccomp profile of RuntimeDefault or Localhost is required',
          preconditions: {
            all: [
              { key: '{{ request.operation }}', operator: 'AnyIn', value: ['CREATE', 'UPDATE'] },
            ],
          },
          anyPattern: [
            {
              spec: { securityContext: { seccompProfile: { type: 'RuntimeDefault | Localhost' } } },
            },
            {
              spec: {
                containers: [
                  { securityContext: { seccompProfile: { type: 'RuntimeDefault | Localhost' } } },
                ],
              },
            },
          ],
        }),
      ]),
    );
  }
  return out;
}

async function loadPolicies(): Promise<CompiledPolicy[]> {
  const shipped: KubeObject[] = [];
  for (const { file } of await expandPaths([POLICY_DIR])) {
    if (file.endsWith('policy.yaml'))
      shipped.push(...parseDocs(await readFile(file, 'utf8'), file));
  }
  return [...shipped, ...extraPolicies()].map((p) => compilePolicy(p));
}

// ---- the server thread
if (!isMainThread) {
  const policies = await loadPolicies();
  const served: number[] = [];
  const server = new AdmissionServer({
    policies: () => policies,
    dnsNames: ['127.0.0.1'],
    onServed: (ms) => served.push(ms),
  });
  const { port, caPem } = await server.start();
  parentPort?.postMessage({ port, caPem, policies: policies.length });
  parentPort?.on('message', (m: { warmup: number }) => {
    parentPort?.postMessage({ served: served.slice(m.warmup) });
    void server.close().then(() => process.exit(0));
  });
}

// ---- the load generator
function resource(i: number): KubeObject {
  const bad = i % 4 === 0;
  const container = {
    name: 'app',
    image: bad ? 'nginx:latest' : 'localhost:5000/app:1.4.2',
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
    readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
  };
  const labels = { 'app.kubernetes.io/name': `app-${i % 50}` };
  const podSpec = { containers: [container, { ...container, name: 'sidecar' }] };
  if (i % 2 === 0)
    return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${i}`, labels }, spec: podSpec };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `web-${i}`, labels },
    spec: {
      replicas: 3,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: podSpec },
    },
  };
}

function review(i: number): string {
  const object = resource(i);
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${i}`,
      kind: { group: object.kind === 'Pod' ? '' : 'apps', version: 'v1', kind: object.kind },
      namespace: 'bench',
      name: object.metadata.name,
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:ci:deployer',
        groups: ['system:serviceaccounts'],
      },
      object,
    },
  });
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rps: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
    },
  });
  const rps = Number(values.rps);
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  const worker = new Worker(new URL(import.meta.url));
  const ready = await new Promise<{ port: number; caPem: string; policies: number }>(
    (resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    },
  );
  const dispatcher = new Agent({
    connect: { ca: ready.caPem },
    connections: 32,
    keepAliveTimeout: 60_000,
  });
  const url = `https://127.0.0.1:${ready.port}/validate`;
  const bodies = Array.from({ length: 200 }, (_, i) => review(i));
  const latencies: number[] = [];
  let errors = 0;
  let denied = 0;
  let inflight = 0;

  const send = async (i: number, measure: boolean): Promise<void> => {
    inflight++;
    const start = performance.now();
    try {
      const r = await request(url, {
        method: 'POST',
        body: bodies[i % bodies.length] ?? '',
        headers: { 'content-type': 'application/json' },
        dispatcher,
      });
      const out = (await r.body.json()) as { response?: { uid?: string; allowed?: boolean } };
      const ok = r.statusCode === 200 && out.response?.uid === `uid-${i % bodies.length}`;
      if (measure) {
        latencies.push(performance.now() - start);
        if (!ok) errors++;
        if (out.response?.allowed === false) denied++;
      }
    } catch {
      if (measure) errors++;
    } finally {
      inflight--;
    }
  };

  console.log(
    `admission server on 127.0.0.1:${ready.port} with ${ready.policies} policies; ${warmup}s warm-up, then ${rps} req/s for ${seconds}s`,
  );
  const total = Math.round(rps * (warmup + seconds));
  const warmupCount = Math.round(rps * warmup);
  const t0 = performance.now();
  let sent = 0;
  const pending: Array<Promise<void>> = [];
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rps));
      while (sent < due) {
        pending.push(send(sent, sent >= warmupCount));
        sent++;
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  await Promise.all(pending);
  const elapsed = (performance.now() - t0) / 1000;
  const inServer = new Promise<{ served: number[] }>((resolve) => worker.once('message', resolve));
  worker.postMessage({ warmup: warmupCount });
  const served = (await inServer).served.sort((a, b) => a - b);
  await dispatcher.close();
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  console.log(
    `in the server (first byte to answer): p50 ${round(percentile(served, 50))} ms, p99 ${round(percentile(served, 99))} ms; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} CPUs`,
  );
  console.log(
    `${latencies.length} measured requests (${denied} denied by Enforce policies), ${round(total / elapsed)} req/s achieved, max ${round(sorted.at(-1) ?? 0)} ms, in flight at end ${inflight}`,
  );
  console.log(
    JSON.stringify({
      policies: ready.policies,
      rps,
      p50_ms: round(percentile(sorted, 50)),
      p99_ms: round(percentile(sorted, 99)),
      errors,
    }),
  );
}

if (isMainThread) await main();
