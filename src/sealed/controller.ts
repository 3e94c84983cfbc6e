/**
 * The SealedSecret controller (sluice.dev/v1alpha1), on the shared runtime: for each
 * SealedSecret it opens every blob with the controller's keys (keystore.ts) and creates or
 * updates the Secret of the same name, controlled by the SealedSecret (deleting the SealedSecret
 * deletes it). All or nothing: a blob that does not open sets `Synced=False` with the reason as
 * data and a message naming the object ("... was not sealed for shop/db ..."), and the Secret is
 * not touched. A Secret of that name the SealedSecret does not control is never overwritten.
 *
 * While leading it creates the first key and a new one every 30 days. Keys appearing (a restored
 * backup) re-queue the SealedSecrets that did not open. Synced SealedSecrets are looked at again
 * every `resyncMs`, which restores a Secret deleted or edited by hand.
 *
 * @example
 * const sealed = new SealedSecretsController({ kube, log, namespace: 'sluice-system' });
 * manager.add(sealed);
 * // in the Manager's HTTP server: if (sealed.handler(req, res)) return;
 */
import {
  SEALED_SECRET_KIND,
  SLUICE_SEALED_API_VERSION,
  type SealedSecret,
  type SealedSecretStatus,
  type Secret,
} from '../api/sealedsecret.ts';
import { errorMessage } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import { Controller } from '../runtime/controller.ts';
import { recordEvent } from '../runtime/events.ts';
import type { Runnable } from '../runtime/manager.ts';
import { refusedWatches } from '../runtime/access.ts';
import { StatusPatcher } from '../runtime/patcher.ts';
import type { Logger } from '../util/log.ts';
import { SealedError } from './errors.ts';
import { sealedSecretsHandler, type NodeHandler } from './http.ts';
import { KeyStore } from './keystore.ts';
import { planSecret } from './ownership.ts';
import { syncedCondition, syncedStatus, type SyncOutcome } from './status.ts';
import { objectName, unsealSecret } from './unseal.ts';

export interface SealedSecretsOptions {
  kube: Kube;
  log: Logger;
  /** The controller's namespace: the key Secrets live here. */
  namespace: string;
  /** Where SealedSecrets are watched (default: all namespaces). */
  namespaces?: readonly string[];
  /** A new key when the newest is this old (default 30 days; 0: never). */
  renewEveryMs?: number;
  /** RSA size of new keys (default 4096). */
  keyBits?: number;
  /** How often a synced SealedSecret's Secret is checked again (default 5 min). */
  resyncMs?: number;
  now?: () => number;
}

/** setTimeout's limit is ~24.8 days; renewal is checked at least hourly. */
const MAX_TIMER_MS = 3_600_000;

export class SealedSecretsController implements Runnable {
  readonly sealedSecrets: Controller<SealedSecret, Record<string, never>>;
  readonly keys: KeyStore;
  /** GET /v1/cert.pem, POST /v1/verify and /v1/rotate; answers false for other paths. */
  readonly handler: NodeHandler;
  private readonly o: SealedSecretsOptions;
  private readonly patcher = new StatusPatcher<SealedSecretStatus, SealedSecret>();
  private timer: NodeJS.Timeout | undefined;
  private leader: AbortSignal | undefined;
  /** Whether this leader has tried to create its first key (until then "no key" is not news). */
  private keysTried = false;
  /** False when RBAC refuses the SealedSecret watch (start()). */
  private unsealing = true;

  constructor(o: SealedSecretsOptions) {
    this.o = o;
    this.keys = new KeyStore({
      kube: o.kube,
      namespace: o.namespace,
      log: o.log,
      ...(o.renewEveryMs !== undefined ? { renewEveryMs: o.renewEveryMs } : {}),
      ...(o.keyBits !== undefined ? { keyBits: o.keyBits } : {}),
      ...(o.now ? { now: o.now } : {}),
    });
    this.handler = sealedSecretsHandler({ keys: () => this.keys.keys() });
    this.sealedSecrets = new Controller<SealedSecret, Record<string, never>>({
      name: 'sealedsecrets',
      kube: o.kube,
      apiVersion: SLUICE_SEALED_API_VERSION,
      kind: SEALED_SECRET_KIND,
      ...(o.namespaces?.length ? { namespaces: o.namespaces } : {}),
      log: o.log,
      reconciler: { reconcile: (r) => this.reconcile(r.namespace, r.name, r.signal) },
    });
    this.sealedSecrets.onEvent((_t, ss) => this.patcher.observe(ss));
    this.keys.onChange(() => this.retryUnsynced());
  }

  /**
   * Starts the key store and, unless RBAC refuses to let it watch SealedSecrets where it works
   * (then it says so and unseals nothing, like the other controllers), the SealedSecret cache. The
   * keys run either way: `sluice seal --cert` keeps working.
   */
  async start(): Promise<void> {
    const refused = await refusedWatches(this.o.kube, this.o.namespaces, [
      ['sluice.dev', 'sealedsecrets'],
    ]);
    if (refused.length > 0) {
      this.unsealing = false;
      this.o.log.warn('the SealedSecret controller unseals nothing: RBAC refuses what it needs', {
        refused: refused.join(', '),
      });
      await this.keys.start();
      return;
    }
    await Promise.all([this.keys.start(), this.sealedSecrets.start()]);
  }

  startLeading(leader: AbortSignal): void {
    this.leader = leader;
    leader.addEventListener('abort', () => clearTimeout(this.timer), { once: true });
    if (this.unsealing) this.sealedSecrets.startLeading(leader);
    void this.renew();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.unsealing) await this.sealedSecrets.stop();
    this.keys.stop();
  }

  /** The certificate new SealedSecrets are sealed for (PEM), once there is a key. */
  certificatePem(): string | undefined {
    return this.keys.newest()?.certificatePem;
  }

  /** Creates the first key, or the next when due; then sets the timer for the one after. */
  private async renew(): Promise<void> {
    const leader = this.leader;
    if (!leader || leader.aborted) return;
    let retryMs: number | undefined;
    try {
      await this.keys.ensure(this.o.kube.withSignal(leader));
      this.keysTried = true;
    } catch (err) {
      this.keysTried = true;
      if (leader.aborted) return;
      this.o.log.error('could not create a sealing key; retrying in 10 s', {
        error: errorMessage(err),
      });
      retryMs = 10_000;
    }
    const now = this.o.now?.() ?? Date.now();
    const wait = retryMs ?? Math.min(MAX_TIMER_MS, Math.max(1000, this.keys.renewalDue() - now));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.renew(), wait);
    this.timer.unref();
  }

  /** Keys changed: SealedSecrets that did not open may open now. */
  private retryUnsynced(): void {
    for (const ss of this.sealedSecrets.list()) {
      if (syncedCondition(this.patcher.current(ss))?.status !== 'True') {
        this.sealedSecrets.enqueue(`${ss.metadata.namespace ?? ''}/${ss.metadata.name ?? ''}`);
      }
    }
  }

  private async reconcile(
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<{ requeueAfterMs?: number }> {
    const cached = this.sealedSecrets.get(namespace, name);
    if (!cached || cached.metadata.deletionTimestamp) return {};
    const ss = this.patcher.current(cached);
    const kube = this.o.kube.withSignal(signal);
    // The first key is on its way: come back for it rather than report its absence.
    if (!this.keysTried && this.keys.keys().length === 0) return { requeueAfterMs: 1000 };
    const outcome = await this.sync(kube, ss);
    const before = syncedCondition(ss);
    const now = new Date(this.o.now?.() ?? Date.now());
    await this.patcher.patchStatus(kube, ss, syncedStatus(ss, outcome, now));
    if (!outcome.ok && (before?.status !== 'False' || before.reason !== outcome.reason)) {
      await recordEvent(kube, ss, 'Warning', outcome.reason, outcome.message);
    }
    return outcome.ok ? { requeueAfterMs: this.o.resyncMs ?? 300_000 } : {};
  }

  /** Unseal, then write the Secret; a SealedError becomes the outcome, anything else is retried. */
  private async sync(kube: Kube, ss: SealedSecret): Promise<SyncOutcome> {
    const keys = this.keys.keys();
    if (keys.length === 0) {
      return {
        ok: false,
        reason: 'NoKeys',
        message: `${objectName(ss)}: the controller has no sealing key yet`,
      };
    }
    let desired: Secret;
    try {
      desired = unsealSecret(ss, keys);
    } catch (err) {
      if (!(err instanceof SealedError)) throw err;
      return { ok: false, reason: err.code, message: err.message };
    }
    return this.write(kube, ss, desired, Object.keys(ss.spec.encryptedData).length);
  }

  private async write(
    kube: Kube,
    ss: SealedSecret,
    desired: Secret,
    count: number,
  ): Promise<SyncOutcome> {
    const ref = `${ss.metadata.namespace ?? ''}/${ss.metadata.name ?? ''}`;
    const existing = await kube.get<Secret>(
      'v1',
      'Secret',
      ss.metadata.namespace,
      ss.metadata.name ?? '',
    );
    const plan = planSecret(existing, desired, ss);
    const ok: SyncOutcome = {
      ok: true,
      reason: 'Unsealed',
      message: `Secret ${ref} holds the ${count} unsealed value${count === 1 ? '' : 's'}`,
    };
    switch (plan.action) {
      case 'refuse':
        return {
          ok: false,
          reason: 'SecretNotOwned',
          message: `${objectName(ss)}: ${plan.message}`,
        };
      case 'none':
        return ok;
      case 'create':
        await kube.create(plan.secret, { fieldManager: 'sluice-sealed-secrets' });
        break;
      case 'update':
        await kube.update(plan.secret);
        break;
      case 'replace':
        await kube.delete(plan.secret);
        await kube.create(plan.secret, { fieldManager: 'sluice-sealed-secrets' });
        break;
    }
    await recordEvent(
      kube,
      ss,
      'Normal',
      'Unsealed',
      `${plan.action === 'create' ? 'created' : 'updated'} Secret ${ref}`,
    );
    return ok;
  }
}
