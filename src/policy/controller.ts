/**
 * The policy controller, on the shared runtime (src/runtime): ClusterPolicies and Policies
 * (sluice.dev/v1alpha1) watched by every replica and compiled as they change, the compiled set
 * swapped whole (one array reference: admission and the GitOps gate never see half a change).
 * The leader writes each policy's Ready condition (status.ts) and, when `admission` is set,
 * serves the validating webhook (admission/server.ts) and keeps its
 * ValidatingWebhookConfiguration current: the caBundle, and the kinds the policies select.
 *
 * Only the leader serves and registers: the configuration holds one caBundle and one address,
 * so two replicas each with its own CA would overwrite each other's. A new leader registers its
 * own at once; in between, the webhook's failurePolicy decides (Fail by default: a policy is
 * never silently skipped; exempt namespaces keep the cluster and Sluice itself running).
 *
 * The serving certificate is renewed before it expires (and at once when found expired); each
 * renewal is a Kubernetes Event on the webhook configuration. Admission results of admitted
 * objects are kept (admission/audit-log.ts) and written, debounced, as PolicyReports
 * (wgpolicyk8s.io/v1alpha2), one per namespace, only where that CRD is installed: it is not
 * Sluice's (Kyverno and policy-reporter install it, at versions of their own), so Sluice never
 * installs or changes it.
 *
 * @example
 * const policies = new PolicyController({ kube, log, namespace: 'sluice-system',
 *   admission: { host: '127.0.0.1', port: 9443 } });
 * manager.add(policies);
 * gates.push(policies.gate);
 */
import {
  CLUSTER_POLICY_KIND,
  POLICY_API_VERSION,
  POLICY_KIND,
  type PolicyResource,
} from '../api/policy.ts';
import { errorMessage } from '../errors.ts';
import type { RevisionGate } from '../gitops/gates.ts';
import type { Kube } from '../kube/api.ts';
import type { KubeObject } from '../kube/types.ts';
import { refusedWatches } from '../runtime/access.ts';
import { Controller } from '../runtime/controller.ts';
import { recordEvent } from '../runtime/events.ts';
import type { Runnable } from '../runtime/manager.ts';
import type { Logger } from '../util/log.ts';
import { AuditLog } from './admission/audit-log.ts';
import { AdmissionServer, type RotationEvent } from './admission/server.ts';
import {
  DEFAULT_EXEMPT_NAMESPACES,
  policyKinds,
  unknownKinds,
  webhookConfiguration,
  type KnownResources,
  type WebhookSettings,
} from './admission/webhook-config.ts';
import { compilePolicy, type CompiledPolicy } from './compile.ts';
import { blocks } from './evaluate.ts';
import { policyGate } from './preflight.ts';
import { policyStatus, sameStatus, type CompileOutcome } from './status.ts';

export const POLICY_REPORT_CRD = 'policyreports.wgpolicyk8s.io';

/** Where and how the admission webhook is served and registered. */
export interface AdmissionSettings {
  /** Listen here (default 127.0.0.1, any free port). */
  host?: string;
  port?: number;
  /** What the API server calls (default `https://<host>:<port>`); or `service` in a cluster. */
  url?: string;
  service?: { namespace: string; name: string; port?: number };
  /** Names in the serving certificate (default: the host, or the Service's DNS names). */
  dnsNames?: string[];
  /** Default Fail: when the webhook cannot answer, requests it covers are refused. */
  failurePolicy?: 'Fail' | 'Ignore';
  /** Default 5 (seconds; the API server allows 1-30). */
  timeoutSeconds?: number;
  /** Never sent to the webhook, besides kube-system & co. and the controller's own namespace. */
  exemptNamespaces?: readonly string[];
  /** Only these namespaces are sent (tests on a shared cluster); default all but the exempt. */
  onlyNamespaces?: readonly string[];
  /** Name of the ValidatingWebhookConfiguration (default `sluice-policy-<namespace>`). */
  webhookName?: string;
  servingValidityDays?: number;
  caValidityDays?: number;
  /** How often certificates are checked for renewal (default hourly). */
  checkEveryMs?: number;
  now?: () => Date;
}

export interface PolicyControllerOptions {
  kube: Kube;
  log: Logger;
  /** The controller's namespace: exempt from admission, and part of the webhook's name. */
  namespace: string;
  /** Watch Policies (namespaced) only here (default all namespaces). */
  namespaces?: readonly string[];
  /** Serve and register the admission webhook (leader only); off when absent. */
  admission?: AdmissionSettings;
  /** PolicyReports are written this long after the last admission result (default 2 s). */
  reportDebounceMs?: number;
}

type Policies = Controller<PolicyResource, Record<string, never>>;

const keyOf = (p: PolicyResource): string =>
  `${p.kind}/${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;

export class PolicyController implements Runnable {
  readonly clusterPolicies: Policies;
  readonly namespacedPolicies: Policies;
  /** The GitOps preflight gate, reading the current compiled set. */
  readonly gate: RevisionGate;
  readonly audit = new AuditLog();
  private readonly o: PolicyControllerOptions;
  private readonly outcomes = new Map<string, CompileOutcome>();
  /** The kinds RBAC lets it watch (start()). */
  private watching: Policies[] = [];
  private readonly listeners: Array<() => void> = [];
  /** Namespaces ('' for cluster-scoped) whose report changed since the last write. */
  private readonly dirty = new Set<string>();
  private compiled: readonly CompiledPolicy[] = [];
  private server: AdmissionServer | undefined;
  private serverUrl: string | undefined;
  private registeredKinds = '';
  private reportTimer: NodeJS.Timeout | undefined;
  private kindsTimer: NodeJS.Timeout | undefined;
  private leader: AbortSignal | undefined;
  private reportsCrd: { present: boolean; at: number } | undefined;

  constructor(o: PolicyControllerOptions) {
    this.o = o;
    const make = (kind: string, namespaces?: readonly string[]): Policies =>
      new Controller<PolicyResource, Record<string, never>>({
        name: kind === CLUSTER_POLICY_KIND ? 'clusterpolicies' : 'policies',
        kube: o.kube,
        apiVersion: POLICY_API_VERSION,
        kind,
        ...(namespaces?.length ? { namespaces } : {}),
        log: o.log,
        concurrency: 2,
        reconciler: {
          reconcile: (r) => this.reconcile(kind, r.namespace, r.name, r.signal),
        },
      });
    this.clusterPolicies = make(CLUSTER_POLICY_KIND);
    this.namespacedPolicies = make(POLICY_KIND, o.namespaces);
    for (const c of [this.clusterPolicies, this.namespacedPolicies])
      c.onEvent((type, p) => this.onPolicy(type === 'deleted', p));
    // The gate skips only the namespaces the user exempts: the webhook's built-in exemptions keep
    // the cluster and Sluice restartable while it is down, which a GitOps sync never needs.
    this.gate = policyGate(() => this.compiled, {
      exemptNamespaces: o.admission?.exemptNamespaces ?? [],
    });
  }

  /** Calls `listener` whenever the compiled set changes (apps refused by the gate look again). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The compiled policies now (a new array whenever one changes). */
  policies(): readonly CompiledPolicy[] {
    return this.compiled;
  }

  /** The namespaces the webhook (and the GitOps gate) leave alone. */
  exempt(): string[] {
    return [
      ...new Set([
        ...DEFAULT_EXEMPT_NAMESPACES,
        this.o.namespace,
        ...(this.o.admission?.exemptNamespaces ?? []),
      ]),
    ];
  }

  /** Name of the ValidatingWebhookConfiguration this controller owns. */
  get webhookName(): string {
    return this.o.admission?.webhookName ?? `sluice-policy-${this.o.namespace}`;
  }

  /** Where the webhook is served, once the leader serves it. */
  get admissionUrl(): string | undefined {
    return this.serverUrl;
  }

  /**
   * Starts the caches of what RBAC lets it watch: a kind it may not list and watch is said so
   * (a warning naming what is refused) and left out, rather than holding up the controller's
   * start with a watch that can never begin.
   */
  async start(): Promise<void> {
    const [cluster, namespaced] = await Promise.all([
      refusedWatches(this.o.kube, undefined, [['sluice.dev', 'clusterpolicies']]),
      refusedWatches(this.o.kube, this.o.namespaces, [['sluice.dev', 'policies']]),
    ]);
    const refused = [...cluster, ...namespaced];
    if (refused.length > 0)
      this.o.log.warn(
        'policies: RBAC refuses what the policy controller needs; those are not enforced',
        {
          refused: refused.join(', '),
        },
      );
    this.watching = [
      ...(cluster.length === 0 ? [this.clusterPolicies] : []),
      ...(namespaced.length === 0 ? [this.namespacedPolicies] : []),
    ];
    await Promise.all(this.watching.map((c) => c.start()));
  }

  startLeading(leader: AbortSignal): void {
    this.leader = leader;
    for (const c of this.watching) c.startLeading(leader);
    leader.addEventListener('abort', () => void this.stopServing(), { once: true });
    if (this.o.admission) void this.serve(leader);
  }

  async stop(): Promise<void> {
    await this.stopServing();
    await Promise.all(this.watching.map((c) => c.stop()));
  }

  // ---- the compiled set -----------------------------------------------------------------------
  private onPolicy(deleted: boolean, p: PolicyResource): void {
    const key = keyOf(p);
    if (deleted) this.outcomes.delete(key);
    else {
      try {
        this.outcomes.set(key, { ok: true, policy: compilePolicy(p) });
      } catch (error) {
        this.outcomes.set(key, { ok: false, error });
      }
    }
    const next: CompiledPolicy[] = [];
    for (const o of this.outcomes.values()) if (o.ok) next.push(o.policy);
    this.compiled = next;
    this.scheduleKinds();
    for (const l of this.listeners) l();
  }

  private async reconcile(
    kind: string,
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<{ requeueAfterMs?: number }> {
    const c = kind === CLUSTER_POLICY_KIND ? this.clusterPolicies : this.namespacedPolicies;
    const p = c.get(namespace, name);
    if (!p || p.metadata.deletionTimestamp) return {};
    const outcome = this.outcomes.get(keyOf(p)) ?? compileOutcome(p);
    const status = policyStatus(outcome, p.metadata.generation, p.status, new Date());
    if (sameStatus(p.status, status)) return {};
    const kube = this.o.kube.withSignal(signal);
    await kube.mergePatch(p, { status }, { subresource: 'status' });
    if (!outcome.ok) {
      await recordEvent(kube, p, 'Warning', 'PolicyInvalid', errorMessage(outcome.error));
    }
    return {};
  }

  // ---- admission: serving, registering, rotating ------------------------------------------------
  private settings(caBundlePem: string): WebhookSettings {
    const a = this.o.admission ?? {};
    return {
      name: this.webhookName,
      caBundlePem,
      ...(a.service ? { service: a.service } : { url: this.serverUrl ?? '' }),
      ...(a.failurePolicy ? { failurePolicy: a.failurePolicy } : {}),
      ...(a.timeoutSeconds !== undefined ? { timeoutSeconds: a.timeoutSeconds } : {}),
      exemptNamespaces: this.exempt(),
      ...(a.onlyNamespaces ? { onlyNamespaces: a.onlyNamespaces } : {}),
      kinds: policyKinds(this.compiled),
    };
  }

  private async register(caBundlePem: string): Promise<void> {
    const leader = this.leader;
    if (!leader || leader.aborted) return;
    const kube = this.o.kube.withSignal(leader);
    const s = this.settings(caBundlePem);
    const resources = await resolveKinds(kube, unknownKinds(s.kinds ?? []));
    await kube.apply(webhookConfiguration({ ...s, resources }), {
      fieldManager: 'sluice-policy',
      force: true,
    });
    this.registeredKinds = JSON.stringify(s.kinds);
    this.o.log.info('admission webhook registered', {
      webhook: this.webhookName,
      kinds: s.kinds?.join(',') || '(policies only)',
    });
  }

  /** Policies changed the kinds to send: update the webhook's rules (debounced). */
  private scheduleKinds(): void {
    if (!this.server) return;
    clearTimeout(this.kindsTimer);
    this.kindsTimer = setTimeout(() => {
      const server = this.server;
      if (!server || JSON.stringify(policyKinds(this.compiled)) === this.registeredKinds) return;
      this.register(server.caBundle()).catch((err: unknown) =>
        this.o.log.error('could not update the admission webhook', { error: errorMessage(err) }),
      );
    }, 200);
    this.kindsTimer.unref();
  }

  private async serve(leader: AbortSignal): Promise<void> {
    const a = this.o.admission ?? {};
    const host = a.host ?? '127.0.0.1';
    const server = new AdmissionServer({
      policies: () => this.compiled,
      dnsNames: a.dnsNames ?? (a.service ? serviceNames(a.service) : [host]),
      host,
      ...(a.port !== undefined ? { port: a.port } : {}),
      ...(a.servingValidityDays !== undefined
        ? { servingValidityDays: a.servingValidityDays }
        : {}),
      ...(a.caValidityDays !== undefined ? { caValidityDays: a.caValidityDays } : {}),
      ...(a.checkEveryMs !== undefined ? { checkEveryMs: a.checkEveryMs } : {}),
      ...(a.now ? { now: a.now } : {}),
      onListening: (port) => {
        this.serverUrl = a.url ?? `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
      },
      onCaBundle: (pem) => this.register(pem),
      onResults: (results, request) => {
        if (request.dryRun === true || results.some(blocks)) return;
        this.audit.record(results);
        for (const r of results) this.dirty.add(r.resource.namespace ?? '');
        this.scheduleReports();
      },
      onRotate: (e) => void this.rotated(e),
    });
    this.server = server;
    try {
      await server.start();
      if (leader.aborted) await this.stopServing();
    } catch (err) {
      this.server = undefined;
      if (leader.aborted) return;
      this.o.log.error('could not serve the admission webhook; retrying in 10 s', {
        error: errorMessage(err),
      });
      await server.close().catch(() => undefined);
      setTimeout(() => {
        if (!leader.aborted) void this.serve(leader);
      }, 10_000).unref();
    }
  }

  private async rotated(e: RotationEvent): Promise<void> {
    const what = e.what === 'ca' ? 'CA certificate' : 'serving certificate';
    const message = `the admission webhook's ${what} ${e.reason === 'expired' ? 'expired' : 'expires'} at ${e.notAfter.toISOString()}; a new one was issued and the caBundle of ValidatingWebhookConfiguration ${this.webhookName} kept current`;
    this.o.log.info(message);
    const leader = this.leader;
    if (!leader || leader.aborted) return;
    const kube = this.o.kube.withSignal(leader);
    const live = await kube
      .get(
        'admissionregistration.k8s.io/v1',
        'ValidatingWebhookConfiguration',
        undefined,
        this.webhookName,
      )
      .catch(() => undefined);
    const target: KubeObject = live ?? {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: this.webhookName },
    };
    await recordEvent(kube, target, 'Normal', 'CertificateRotated', message);
  }

  private async stopServing(): Promise<void> {
    clearTimeout(this.kindsTimer);
    clearTimeout(this.reportTimer);
    const server = this.server;
    this.server = undefined;
    this.serverUrl = undefined;
    await server?.close();
  }

  /** Removes the webhook configuration (uninstall, tests); the leader registers it again. */
  async unregister(kube: Kube = this.o.kube): Promise<void> {
    await kube.delete({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: this.webhookName },
    });
  }

  // ---- PolicyReports ----------------------------------------------------------------------------
  private scheduleReports(): void {
    if (this.reportTimer) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      this.writeReports().catch((err: unknown) =>
        this.o.log.warn('could not write PolicyReports', { error: errorMessage(err) }),
      );
    }, this.o.reportDebounceMs ?? 2000);
    this.reportTimer.unref();
  }

  /** Whether PolicyReports can be written (checked at most once a minute). */
  private async reportsInstalled(kube: Kube): Promise<boolean> {
    const now = Date.now();
    if (this.reportsCrd && now - this.reportsCrd.at < 60_000) return this.reportsCrd.present;
    const crd = await kube.get(
      'apiextensions.k8s.io/v1',
      'CustomResourceDefinition',
      undefined,
      POLICY_REPORT_CRD,
    );
    const present = crd !== undefined;
    if (!present && this.reportsCrd?.present !== false)
      this.o.log.info(
        `PolicyReports are not written: the CRD ${POLICY_REPORT_CRD} is not installed (install the wgpolicyk8s.io PolicyReport CRDs to get them)`,
      );
    this.reportsCrd = { present, at: now };
    return present;
  }

  private async writeReports(): Promise<void> {
    const leader = this.leader;
    if (!leader || leader.aborted) return;
    const kube = this.o.kube.withSignal(leader);
    if (!(await this.reportsInstalled(kube))) return;
    const dirty = new Set(this.dirty);
    this.dirty.clear();
    for (const report of this.audit.reports()) {
      if (!dirty.has(report.metadata.namespace ?? '')) continue;
      const where = report.metadata.namespace ?? '(cluster)';
      await kube
        .apply(report as unknown as KubeObject, {
          fieldManager: 'sluice-policy-reports',
          force: true,
        })
        .catch((err: unknown) =>
          this.o.log.warn('could not write a PolicyReport', {
            namespace: where,
            error: errorMessage(err),
          }),
        );
    }
  }
}

function compileOutcome(p: PolicyResource): CompileOutcome {
  try {
    return { ok: true, policy: compilePolicy(p) };
  } catch (error) {
    return { ok: false, error };
  }
}

interface GroupList {
  groups: Array<{ preferredVersion?: { groupVersion: string } }>;
}
interface ResourceList {
  resources: Array<{ name: string; kind: string }>;
}

/**
 * Finds the API group and plural of kinds the built-in table lacks (a CRD's kind, an HPA), from
 * each group's preferred version, so the webhook names them rather than sending everything. A
 * kind not found (its CRD not installed yet) or a failed discovery leaves it out: it is sent as
 * `*` (everything), which errs on the side of checking.
 */
async function resolveKinds(kube: Kube, kinds: readonly string[]): Promise<KnownResources> {
  const out: Record<string, readonly [string, string]> = {};
  if (kinds.length === 0) return out;
  try {
    const list = await kube.client.request<GroupList>({
      method: 'GET',
      path: '/apis',
      verb: 'discovery',
    });
    const versions = ['v1', ...list.groups.flatMap((g) => g.preferredVersion?.groupVersion ?? [])];
    for (const gv of versions) {
      if (kinds.every((k) => out[k] !== undefined)) break;
      const path = gv === 'v1' ? '/api/v1' : `/apis/${gv}`;
      const resources = await kube.client
        .request<ResourceList>({ method: 'GET', path, verb: 'discovery' })
        .catch(() => ({ resources: [] }));
      const group = gv.includes('/') ? gv.slice(0, gv.lastIndexOf('/')) : '';
      for (const r of resources.resources) {
        if (!r.name.includes('/') && kinds.includes(r.kind) && out[r.kind] === undefined)
          out[r.kind] = [group, r.name];
      }
    }
  } catch {
    // Discovery failed: the unresolved kinds are sent as `*`.
  }
  return out;
}

/** The DNS names a Service answers to, for the serving certificate. */
function serviceNames(s: { namespace: string; name: string }): string[] {
  return [`${s.name}.${s.namespace}.svc`, `${s.name}.${s.namespace}.svc.cluster.local`];
}
