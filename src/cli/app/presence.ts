/**
 * Is a controller there to act on what the CLI asks (a sync, a refresh, a cascading delete)?
 * The controller holds the coordination.k8s.io Lease `sluice-controller` in its namespace and
 * renews it every few seconds; a Lease that is missing, released, or not renewed within its
 * duration means no controller runs with leader election. A controller started with
 * `--no-leader-election` holds no Lease, so the CLI says at once that it sees none, keeps watching
 * for a short grace in case such a controller acts, and then gives up with NoControllerError
 * instead of waiting out its timeout and printing stale results.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { SluiceError } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { KubeApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/types.ts';
import { yellow } from '../context.ts';

export const LEASE_NAME = 'sluice-controller';
export const DEFAULT_CONTROLLER_NAMESPACE = 'sluice-system';
/** How long the CLI waits for a controller it cannot see before giving up. */
export const NO_CONTROLLER_GRACE_MS = 10_000;

export interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

export type Presence = { running: true; holder: string } | { running: false; why: string };

/** Pure: what a Lease (or its absence) says at `now` (ms). */
export function presenceFromLease(lease: Lease | undefined, now: number): Presence {
  if (!lease) return { running: false, why: 'does not exist (no controller has run here)' };
  const holder = lease.spec?.holderIdentity ?? '';
  if (!holder) return { running: false, why: 'was released by the last controller (it stopped)' };
  const renewed = Date.parse(lease.spec?.renewTime ?? '');
  const durationMs = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
  if (Number.isNaN(renewed)) return { running: false, why: `held by ${holder}, never renewed` };
  const silentMs = now - renewed;
  if (silentMs > durationMs)
    return {
      running: false,
      why: `is stale: ${holder} last renewed it ${Math.round(silentMs / 1000)}s ago (it may renew every ${durationMs / 1000}s at most)`,
    };
  return { running: true, holder };
}

/** Reads the Lease; undefined when we may not read it (then we cannot tell, and do not guess). */
export async function controllerPresence(
  kube: Kube,
  namespace: string,
): Promise<Presence | undefined> {
  try {
    const lease = await kube.get<Lease>('coordination.k8s.io/v1', 'Lease', namespace, LEASE_NAME);
    return presenceFromLease(lease, Date.now());
  } catch (err) {
    if (err instanceof KubeApiError && (err.status === 403 || err.status === 401)) return undefined;
    throw err;
  }
}

const leaseRef = (namespace: string): string => `Lease ${namespace}/${LEASE_NAME}`;

const warning = (namespace: string, why: string, next: string): string =>
  `  ${yellow('warning:')} no controller holds the ${leaseRef(namespace)} (it ${why}); start one with \`sluice controller\`; ${next}\n`;

/** One look at the Lease: warns (saying what happens `next`) when no controller holds it. */
export async function warnIfNoController(
  kube: Kube,
  namespace: string,
  next: string,
): Promise<void> {
  const p = await controllerPresence(kube, namespace);
  if (p && !p.running) process.stderr.write(warning(namespace, p.why, next));
}

export class NoControllerError extends SluiceError {
  constructor(namespace: string, why: string, what: string, hint?: string) {
    super(
      'NoController',
      `no controller is running (the ${leaseRef(namespace)} ${why}): nothing acted on ${what}`,
      {
        hint:
          hint ??
          `start one with \`sluice controller\`; if it runs in another namespace, pass --controller-namespace`,
      },
    );
    this.name = 'NoControllerError';
  }
}

export interface ControllerOptions {
  controllerNamespace: string;
}

/** `--controller-namespace`: where the controller's Lease is. */
export function addControllerOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      '--controller-namespace <ns>',
      `namespace of the controller (its Lease ${LEASE_NAME} tells whether one runs)`,
    )
      .env('SLUICE_CONTROLLER_NAMESPACE')
      .default(DEFAULT_CONTROLLER_NAMESPACE),
  );
}

/**
 * Watches for a controller while the CLI waits on one. `check(acted)` is called on every poll
 * with whether the controller has acted on the request yet; it re-reads the Lease every few
 * seconds, warns once (at once) when it sees no controller, and throws NoControllerError when
 * the grace passed and still nothing acted.
 */
export class ControllerWatch {
  private readonly kube: Kube;
  private readonly namespace: string;
  private readonly what: string;
  private readonly graceMs: number;
  private checkedAt = 0;
  private missingSince: number | undefined;
  private why = '';
  private warned = false;
  hint: string | undefined;

  constructor(kube: Kube, namespace: string, what: string, graceMs = NO_CONTROLLER_GRACE_MS) {
    this.kube = kube;
    this.namespace = namespace;
    this.what = what;
    this.graceMs = graceMs;
  }

  async check(acted: boolean): Promise<void> {
    const now = Date.now();
    if (now - this.checkedAt >= 3000) {
      this.checkedAt = now;
      const p = await controllerPresence(this.kube, this.namespace);
      if (!p || p.running) this.missingSince = undefined;
      else {
        this.missingSince ??= now;
        this.why = p.why;
        this.warn(acted);
      }
    }
    if (now - (this.missingSince ?? now) > this.graceMs) this.throwIfMissing(acted);
  }

  /**
   * At the end of a wait (its timeout): when no controller was seen and nothing acted, that is
   * the reason to give, not a timeout.
   */
  throwIfMissing(acted: boolean): void {
    if (!acted && this.missingSince !== undefined)
      throw new NoControllerError(this.namespace, this.why, this.what, this.hint);
  }

  private warn(acted: boolean): void {
    if (this.warned) return;
    this.warned = true;
    const next = acted
      ? 'the operation resumes when a controller runs again'
      : `waiting ${this.graceMs / 1000}s in case one runs without leader election`;
    process.stderr.write(warning(this.namespace, this.why, next));
  }
}
