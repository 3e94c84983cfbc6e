/**
 * A sync the CLI asks the controller for, and telling its result apart from every other
 * operation's. The app's `status.operationState` shows the last operation, whoever started it:
 * before the controller picks our request up it still shows the previous one (perhaps a failure),
 * and an automated sync may run meanwhile. Ours is the one that started after we asked, by us.
 */
import type { Application, OperationState } from '../../api/application.ts';
import { SluiceError } from '../../errors.ts';
import { shortSha } from './common.ts';

/** Clocks of the CLI's machine and the controller's may differ by this much. */
export const CLOCK_SKEW_MS = 60_000;

export interface SyncAsk {
  /** `operationState.startedAt` as it was before we asked ('' when none). */
  startedBefore: string;
  /** When we asked (the CLI's clock), also written into `operation.requestedAt`. */
  requestedAt: string;
  /** `operation.initiatedBy.username`; the controller copies it into `operationState.initiatedBy`. */
  username: string;
}

export const isRunning = (op: OperationState | undefined): boolean =>
  op?.phase === 'Running' || op?.phase === 'Terminating';

/** Pure: is this the operation our request started? */
export function isOurOperation(op: OperationState | undefined, ask: SyncAsk): boolean {
  if (!op || op.startedAt === ask.startedBefore || op.initiatedBy !== ask.username) return false;
  return Date.parse(op.startedAt) >= Date.parse(ask.requestedAt) - CLOCK_SKEW_MS;
}

/** Is our request still waiting in `operation` (not yet taken by the controller)? */
export const stillAsked = (app: Application, ask: SyncAsk): boolean =>
  app.operation?.requestedAt === ask.requestedAt;

/** Pure: our operation has ended (and the controller has cleared our request). */
export const ourOperationEnded = (app: Application, ask: SyncAsk): boolean =>
  isOurOperation(app.status?.operationState, ask) &&
  !isRunning(app.status?.operationState) &&
  !stillAsked(app, ask);

/** Pure: the controller has taken our request up (or someone replaced it). */
export const requestTaken = (app: Application, ask: SyncAsk): boolean =>
  isOurOperation(app.status?.operationState, ask) || !stillAsked(app, ask);

/** What a wait prints about the app's operation: ours, or what we are still waiting behind. */
export function operationLine(app: Application, ask: SyncAsk): string {
  const op = app.status?.operationState;
  if (isOurOperation(op, ask)) return `${op?.phase ?? ''}: ${op?.message ?? ''}`;
  if (isRunning(op))
    return `waiting for the operation in progress (${op?.initiatedBy ?? 'automated'}, started ${op?.startedAt ?? ''}) to end`;
  return 'waiting for the controller to start the sync';
}

/**
 * Argo CD refuses a sync while another operation runs; so do we (a request written now would
 * only be taken up once that one ends, and could be mistaken for it).
 */
export function refuseIfBusy(app: Application): void {
  const op = app.status?.operationState;
  const name = app.metadata.name;
  const where = `${app.metadata.namespace}/${name}`;
  if (isRunning(op)) {
    throw new SluiceError(
      'OperationInProgress',
      `${where}: another operation is in progress (${op?.initiatedBy ?? 'automated'} sync to ${shortSha(op?.syncResult?.revision)}, started ${op?.startedAt ?? '?'}, ${op?.phase ?? ''})`,
      {
        hint: `wait for it with \`sluice app wait ${name} --operation\`, or stop it with \`sluice app terminate-op ${name}\``,
      },
    );
  }
  if (app.operation) {
    throw new SluiceError(
      'OperationInProgress',
      `${where}: a sync requested by ${app.operation.initiatedBy?.username ?? 'someone'} at ${app.operation.requestedAt ?? '?'} is waiting for the controller`,
      {
        hint: `wait for it with \`sluice app wait ${name} --operation\` (is \`sluice controller\` running?), or withdraw it with \`sluice app terminate-op ${name}\``,
      },
    );
  }
}
