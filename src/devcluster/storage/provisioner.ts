/**
 * The `sluice-local` volume provisioner (see volumes.ts for what it decides): one process per
 * dev cluster with a real node, started by `dev-cluster up` and stopped by `down`. It applies the
 * StorageClass, then watches claims and volumes: a pending claim of the class gets its directory
 * and PersistentVolume; a released volume of ours loses its directory, then the object.
 *
 * Run as a program: `node provisioner.ts --kubeconfig K --dir D --node N` (see main()).
 */
import { chmod, mkdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Kube } from '../../kube/api.ts';
import { KubeApiError } from '../../kube/errors.ts';
import { Informer } from '../../kube/informer.ts';
import { errorMessage } from '../../errors.ts';
import { createLogger, type Logger } from '../../util/log.ts';
import {
  type Claim,
  releasedDir,
  storageClass,
  type Volume,
  volumeDir,
  volumeFor,
  wantsVolume,
} from './volumes.ts';

export interface ProvisionerOptions {
  kube: Kube;
  /** Where volumes' directories are made (the cluster's `volumes/`). */
  dir: string;
  /** The node every volume is on. */
  node: string;
  log: Logger;
}

export class LocalProvisioner {
  private readonly claims: Informer<Claim>;
  private readonly volumes: Informer<Volume>;
  private readonly o: ProvisionerOptions;
  private readonly busy = new Set<string>();
  private resync: NodeJS.Timeout | undefined;

  constructor(o: ProvisionerOptions) {
    this.o = o;
    const onError = (err: unknown): void =>
      o.log.warn('watch failed; retrying', { error: errorMessage(err) });
    this.claims = new Informer<Claim>(o.kube, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      onError,
    });
    this.volumes = new Informer<Volume>(o.kube, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      onError,
    });
    this.claims.on((type, c) => {
      if (type !== 'deleted') this.onClaim(c);
    });
    this.volumes.on((type, v) => {
      if (type !== 'deleted') this.onVolume(v);
    });
  }

  private onClaim(c: Claim): void {
    if (wantsVolume(c)) this.once(`claim/${c.metadata.uid}`, () => this.provision(c));
  }

  private onVolume(v: Volume): void {
    const dir = releasedDir(v, this.o.dir);
    if (dir) this.once(`volume/${v.metadata.name}`, () => this.remove(v, dir));
  }

  async start(): Promise<void> {
    await this.o.kube.apply(storageClass(), { fieldManager: 'sluice-dev-cluster', force: true });
    await Promise.all([this.claims.start(), this.volumes.start()]);
    // What failed is tried again (an event may not come).
    this.resync = setInterval(() => {
      for (const c of this.claims.list()) this.onClaim(c);
      for (const v of this.volumes.list()) this.onVolume(v);
    }, 10_000);
    this.o.log.info('provisioning sluice-local volumes', { dir: this.o.dir, node: this.o.node });
  }

  stop(): void {
    clearInterval(this.resync);
    this.claims.stop();
    this.volumes.stop();
  }

  /** One action per object at a time; a failed one is tried again on the next event. */
  private once(key: string, fn: () => Promise<void>): void {
    if (this.busy.has(key)) return;
    this.busy.add(key);
    fn()
      .catch((err: unknown) =>
        this.o.log.warn('volume action failed', { key, error: errorMessage(err) }),
      )
      .finally(() => this.busy.delete(key));
  }

  private async provision(c: Claim): Promise<void> {
    const dir = volumeDir(this.o.dir, c);
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o777);
    try {
      await this.o.kube.create(volumeFor(c, this.o.dir, this.o.node));
    } catch (err) {
      if (!(err instanceof KubeApiError && err.conflict)) throw err;
    }
    this.o.log.info('provisioned', { claim: `${c.metadata.namespace}/${c.metadata.name}`, dir });
  }

  private async remove(v: Volume, dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
    await this.o.kube.delete(v);
    this.o.log.info('deleted', { volume: v.metadata.name, dir });
  }
}

/** The program: runs until SIGTERM / SIGINT. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      dir: { type: 'string' },
      node: { type: 'string' },
    },
  });
  if (!values.kubeconfig || !values.dir || !values.node)
    throw new Error('usage: provisioner.ts --kubeconfig FILE --dir DIR --node NODE');
  const kube = await Kube.connect(values.kubeconfig);
  const p = new LocalProvisioner({
    kube,
    dir: values.dir,
    node: values.node,
    log: createLogger('info'),
  });
  await p.start();
  await new Promise<void>((done) => {
    process.once('SIGTERM', () => done());
    process.once('SIGINT', () => done());
  });
  p.stop();
  await kube.close();
}

if (process.argv[1] && import.meta.filename === resolve(process.argv[1]))
  await main(process.argv.slice(2));
