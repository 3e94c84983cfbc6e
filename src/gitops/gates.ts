/**
 * Revision gates: checks a revision must pass before anything of it is applied or pruned —
 * signed commits (the source), signed images and Enforce policies (the rendered plan). Each
 * gate lives with its subject (src/source/verify, src/images/verify, src/policy/preflight) and
 * is handed to the engine by the controller; compare.ts runs them in order and turns a refusal
 * into the app's Ready=False condition, with the gate's reason as data and its message naming
 * the object, and nothing of the revision applied.
 *
 * A gate that cannot decide (a registry down, a Secret missing) throws `GateError` with
 * `terminal: false`: the app retries with backoff. A refusal (unsigned, unknown key, violation)
 * is terminal until Git, the spec or the gate's configuration change.
 *
 * @example
 * const signedCommits: RevisionGate = {
 *   name: 'signed commits',
 *   async beforeRender({ app, revision }) {
 *     if (!(await isSigned(app, revision)))
 *       throw new GateError('UnverifiedCommit', `commit ${revision} is not signed`, true);
 *   },
 * };
 */
import type { Application } from '../api/application.ts';
import { SluiceError } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import type { Reason } from './conditions.ts';
import type { Plan } from './preflight.ts';

/** What every gate is told. */
export interface GateContext {
  app: Application;
  /** The resolved commit SHA. */
  revision: string;
  /** The ref the revision named (`refs/heads/main`, `refs/tags/v1`); none for HEAD or a SHA. */
  ref?: string;
  /** The destination cluster's client (acting as the app's ServiceAccount when it has one). */
  kube: Kube;
}

export interface RevisionGate {
  /** For logs ("signed commits", "signed images", "policies"). */
  readonly name: string;
  /** After the revision is resolved, before it is rendered (the commit itself). */
  beforeRender?(ctx: GateContext): Promise<void>;
  /** After preflight: every object of the revision, hooks included (images, policies). */
  afterPreflight?(ctx: GateContext & { plan: Plan }): Promise<void>;
}

/** A gate's refusal, or its failure to decide; `reason` becomes the Ready condition's reason. */
export class GateError extends SluiceError {
  readonly reason: Reason;
  readonly terminal: boolean;
  constructor(
    reason: Reason,
    message: string,
    terminal: boolean,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(reason, message, options);
    this.name = 'GateError';
    this.reason = reason;
    this.terminal = terminal;
  }
}
