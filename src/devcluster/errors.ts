import { SluiceError } from '../errors.ts';

/** What can go wrong while building or running a dev cluster. */
export type DevClusterErrorCode =
  | 'GoMissing'
  | 'ToolMissing'
  | 'BuildFailed'
  | 'PortInUse'
  | 'ComponentDied'
  | 'ComponentNotReady'
  | 'InvalidName'
  | 'NotRunning'
  | 'NetworkSetupFailed'
  | 'HostRequirement'
  | 'NodeCleanupFailed';

export class DevClusterError extends SluiceError {
  declare readonly code: DevClusterErrorCode;
  /** The log a person should read next, when there is one. */
  readonly logPath: string | undefined;

  constructor(
    code: DevClusterErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; logPath?: string } = {},
  ) {
    super(code, message, { ...options, exitCode: code === 'NotRunning' ? 3 : 1 });
    this.name = 'DevClusterError';
    this.logPath = options.logPath;
  }
}
