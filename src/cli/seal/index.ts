/**
 * `sluice seal`: kubeseal's command line, for Sluice's controller (and, since the blobs are the
 * same bytes, for Sealed Secrets' own). Reads a Secret (YAML or JSON) on stdin or from `-f`, and
 * prints the SealedSecret; `--raw` seals one value; `--re-encrypt`, `--validate` and
 * `--recovery-unseal` work on SealedSecrets.
 */
import { writeFile } from 'node:fs/promises';
import { text as readStream } from 'node:stream/consumers';
import { Command, Option } from 'commander';
import {
  BITNAMI_SEALED_API_VERSION,
  SLUICE_SEALED_API_VERSION,
  type SealedSecret,
} from '../../api/sealedsecret.ts';
import type { Kube } from '../../kube/api.ts';
import { SealedError } from '../../sealed/errors.ts';
import { assertNotExpired, type SealingCertificate } from '../../sealed/keys.ts';
import { SCOPES, type Scope } from '../../sealed/scope.ts';
import {
  parseSealedSecret,
  parseSecret,
  reEncrypt,
  sealSecret,
  sealValue,
} from '../../sealed/seal.ts';
import { objectName, openAll, unsealSecret } from '../../sealed/unseal.ts';
import { connect, DEFAULT_APP_NAMESPACE, kubeconfigOption } from '../context.ts';
import { formatObjects, parseDocuments, parseFromFile, type SealFormat } from './input.ts';
import { clusterCertificate, loadCertificate, loadKeys, readInputFile } from './keys.ts';

interface SealFlags {
  kubeconfig?: string;
  secretFile?: string;
  sealedSecretFile?: string;
  cert?: string;
  fetchCert?: boolean;
  controllerNamespace: string;
  scope?: Scope;
  output: SealFormat;
  apiVersion: string;
  raw?: boolean;
  name?: string;
  namespace?: string;
  fromFile: string[];
  allowEmptyData?: boolean;
  reEncrypt?: boolean;
  validate?: boolean;
  recoveryUnseal?: boolean;
  recoveryPrivateKey: string[];
}

const collect = (v: string, all: string[]): string[] => [...all, ...v.split(',').filter(Boolean)];

function usage(message: string, hint?: string): SealedError {
  return new SealedError('InvalidInput', message, { exitCode: 2, ...(hint ? { hint } : {}) });
}

/** One cluster connection, made only when a mode needs it, closed at the end. */
class Cluster {
  private kube: Promise<Kube> | undefined;
  private readonly o: SealFlags;
  constructor(o: SealFlags) {
    this.o = o;
  }
  get(): Promise<{ kube: Kube; namespace: string }> {
    this.kube ??= connect(this.o);
    return this.kube.then((kube) => ({ kube, namespace: this.o.controllerNamespace }));
  }
  async close(): Promise<void> {
    if (this.kube) await (await this.kube).close();
  }
}

async function input(o: SealFlags): Promise<{ text: string; what: string }> {
  if (o.secretFile)
    return { text: await readInputFile(o.secretFile, 'the input'), what: o.secretFile };
  if (process.stdin.isTTY) {
    throw usage(
      'nothing to seal: give a Secret on stdin or with -f FILE',
      'kubectl create secret generic db --from-literal=password=s3cret --dry-run=client -o yaml | sluice seal',
    );
  }
  return { text: await readStream(process.stdin), what: 'stdin' };
}

async function output(o: SealFlags, text: string): Promise<void> {
  if (o.sealedSecretFile) await writeFile(o.sealedSecretFile, text);
  else process.stdout.write(text);
}

async function certificate(o: SealFlags, cluster: Cluster): Promise<SealingCertificate> {
  if (o.cert) return loadCertificate(o.cert);
  const { kube, namespace } = await cluster.get();
  return clusterCertificate(kube, namespace);
}

async function sealedInputs(o: SealFlags): Promise<SealedSecret[]> {
  const { text, what } = await input(o);
  return parseDocuments(text, what).map((d) => parseSealedSecret(d, what));
}

async function sealRaw(o: SealFlags, cluster: Cluster): Promise<void> {
  const [spec, ...more] = o.fromFile;
  if (!spec || more.length > 0) {
    throw usage(
      '--raw seals exactly one value: give one --from-file [key=]path',
      'sluice seal --raw --namespace shop --name db --from-file=/dev/stdin',
    );
  }
  const scope = o.scope ?? 'strict';
  if (scope !== 'cluster-wide' && !o.namespace)
    throw usage(`--raw with --scope ${scope} needs --namespace`);
  if (scope === 'strict' && !o.name) throw usage('--raw with --scope strict needs --name');
  const { path } = parseFromFile(spec);
  // /dev/stdin cannot be opened when stdin is a socket: read the stream instead.
  const value =
    path === '/dev/stdin' || path === '-'
      ? await readStream(process.stdin)
      : await readInputFile(path, 'the value');
  const cert = await certificate(o, cluster);
  assertNotExpired(cert);
  await output(o, sealValue(Buffer.from(value), cert, scope, o.namespace ?? '', o.name ?? ''));
}

async function sealSecrets(o: SealFlags, cluster: Cluster): Promise<void> {
  if (o.fromFile.length > 0)
    throw usage('--from-file needs --raw (or put the value in the Secret)');
  const { text, what } = await input(o);
  const secrets = parseDocuments(text, what).map((d) => parseSecret(d, what));
  const cert = await certificate(o, cluster);
  assertNotExpired(cert);
  const sealed = secrets.map((s) => {
    const metadata = {
      ...s.metadata,
      ...(!s.metadata.name && o.name ? { name: o.name } : {}),
      ...(!s.metadata.namespace && o.namespace ? { namespace: o.namespace } : {}),
    };
    const count = Object.keys({ ...s.data, ...s.stringData }).length;
    if (count === 0 && !o.allowEmptyData) {
      throw usage(
        `Secret/${metadata.name ?? ''} has no data`,
        'add values, or pass --allow-empty-data',
      );
    }
    return sealSecret(
      { ...s, metadata },
      { certificate: cert, apiVersion: o.apiVersion, ...(o.scope ? { scope: o.scope } : {}) },
    );
  });
  await output(o, formatObjects(sealed, o.output));
}

async function run(o: SealFlags): Promise<void> {
  const cluster = new Cluster(o);
  try {
    if (o.fetchCert) return await output(o, (await certificate(o, cluster)).certificatePem);
    if (o.recoveryUnseal) {
      if (o.recoveryPrivateKey.length === 0)
        throw usage('--recovery-unseal needs --recovery-private-key FILE');
      const keys = await loadKeys(o.recoveryPrivateKey, () => cluster.get());
      const secrets = (await sealedInputs(o)).map((ss) => unsealSecret(ss, keys));
      return await output(o, formatObjects(secrets, o.output));
    }
    if (o.validate) {
      const keys = await loadKeys(o.recoveryPrivateKey, () => cluster.get());
      const lines = (await sealedInputs(o)).map((ss) => {
        const n = openAll(ss, keys).size;
        return `${objectName(ss)}: ${n} value${n === 1 ? '' : 's'} open\n`;
      });
      process.stdout.write(lines.join(''));
      return;
    }
    if (o.reEncrypt) {
      const keys = await loadKeys(o.recoveryPrivateKey, () => cluster.get());
      const target = o.cert ? await loadCertificate(o.cert) : keys[0];
      if (!target) throw usage('no key to re-encrypt with');
      assertNotExpired(target);
      const out = (await sealedInputs(o)).map((ss) => reEncrypt(ss, keys, target));
      return await output(o, formatObjects(out, o.output));
    }
    if (o.raw) return await sealRaw(o, cluster);
    return await sealSecrets(o, cluster);
  } finally {
    await cluster.close();
  }
}

export function sealCommand(): Command {
  return new Command('seal')
    .description('seal a Secret into a SealedSecret (kubeseal’s flags and blobs)')
    .addOption(kubeconfigOption())
    .option('-f, --secret-file <file>', 'the Secret to seal (YAML or JSON; default: stdin)')
    .option('-w, --sealed-secret-file <file>', 'write the output here (default: stdout)')
    .option(
      '--cert <file|url>',
      'the certificate to seal for (default: the controller’s newest key)',
    )
    .option('--fetch-cert', 'print the certificate to seal for, and exit')
    .option(
      '--controller-namespace <ns>',
      'where the controller keeps its keys',
      DEFAULT_APP_NAMESPACE,
    )
    .addOption(
      new Option(
        '--scope <scope>',
        'strict (default), namespace-wide or cluster-wide; default: the Secret’s annotations',
      ).choices(SCOPES),
    )
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['json', 'yaml'])
        .default('json'),
    )
    .addOption(
      new Option('--api-version <v>', 'apiVersion of the SealedSecret written')
        .choices([SLUICE_SEALED_API_VERSION, BITNAMI_SEALED_API_VERSION])
        .default(SLUICE_SEALED_API_VERSION),
    )
    .option('--raw', 'seal one value (from --from-file) and print the blob')
    .option('--name <name>', 'the name the value or Secret is sealed for')
    .option('-n, --namespace <ns>', 'the namespace the value or Secret is sealed for')
    .option('--from-file <[key=]path>', 'with --raw: the file holding the value', collect, [])
    .option('--allow-empty-data', 'seal a Secret with no values')
    .option(
      '--re-encrypt',
      'read a SealedSecret and seal its values again with the newest key (needs the keys)',
    )
    .option('--validate', 'read a SealedSecret and check every value opens (needs the keys)')
    .option(
      '--recovery-unseal',
      'read a SealedSecret and print the Secret, with --recovery-private-key',
    )
    .option(
      '--recovery-private-key <file>',
      'PEM private key, or a backup of key Secrets (repeatable)',
      collect,
      [],
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  kubectl create secret generic db --from-literal=password=s3cret --dry-run=client -o yaml \\\n' +
        '    | sluice seal --cert cert.pem -o yaml > db-sealed.yaml\n' +
        '  printf s3cret | sluice seal --raw --namespace shop --name db --from-file=/dev/stdin\n' +
        '  sluice seal --fetch-cert > cert.pem\n' +
        '  sluice seal --validate -f db-sealed.yaml\n' +
        '  sluice seal --recovery-unseal --recovery-private-key backup.yaml -f db-sealed.yaml',
    )
    .action(run);
}
