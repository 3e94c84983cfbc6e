/**
 * `sluice image sign|verify|generate-key-pair`: cosign-compatible image signatures for
 * pipelines and people (src/images/verify). `sign` stores a signature at the image's
 * `sha256-<digest>.sig` tag, which `cosign verify --key` accepts; `verify` checks signatures
 * made by `cosign sign --key` or `sluice image sign` against PEM public keys, with cosign's
 * exit codes in spirit: 0 verified, 1 not verified, 2 usage.
 */
import { createPrivateKey } from 'node:crypto';
import { access, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { dockerConfigCredentials } from '../../delivery/images/auth.ts';
import { RegistryClient, RegistryError } from '../../delivery/images/registry.ts';
import { SluiceError } from '../../errors.ts';
import {
  generateKeyPair,
  imageLocation,
  loadPrivateKey,
  parsePublicKeys,
  publicKeyPem,
  resolveDigest,
  sealCosignKey,
  verifyImage,
  writeSignature,
  type ImageLocation,
  type ImageVerification,
} from '../../images/verify/index.ts';
import { outputOption, printData, type OutputFormat } from '../output.ts';

interface RegistryFlags {
  allowInsecureRegistry?: boolean;
  plainHttp?: boolean;
}

function usage(message: string, hint: string): SluiceError {
  return new SluiceError('UsageError', message, { exitCode: 2, hint });
}

async function readKeyFile(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw usage(
      `${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'give the path of a key file',
    );
  }
}

/** Registry credentials from the docker config (`$DOCKER_CONFIG/config.json`), if it has any. */
async function clientFor(loc: ImageLocation): Promise<RegistryClient> {
  const file = join(process.env['DOCKER_CONFIG'] ?? join(homedir(), '.docker'), 'config.json');
  const json = await readFile(file, 'utf8').catch(() => undefined);
  const credentials = json ? dockerConfigCredentials(json, loc.address.host) : undefined;
  return new RegistryClient({ address: loc.address, ...(credentials ? { credentials } : {}) });
}

const location = (image: string, o: RegistryFlags): ImageLocation =>
  imageLocation(image, o.allowInsecureRegistry === true || o.plainHttp === true);

/** Registry failures with a hint for this command line (not the controller's fields). */
async function withRegistry<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    const hint =
      err.kind === 'Unreachable'
        ? 'is the registry up? a plain-http registry that is not on loopback needs --allow-insecure-registry'
        : err.kind === 'AuthFailed'
          ? 'log in to the registry in the docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json)'
          : err.kind === 'NotFound'
            ? 'check the image name and tag (push the image first)'
            : undefined;
    throw new RegistryError(err.kind, err.message, { ...(hint ? { hint } : {}), cause: err });
  }
}

function addRegistryFlags(cmd: Command): Command {
  return cmd
    .option(
      '--allow-insecure-registry',
      'talk to the registry over plain http (loopback registries always are)',
    )
    .option('--plain-http', 'the same as --allow-insecure-registry');
}

function signCommand(): Command {
  const cmd = new Command('sign')
    .description(
      "sign an image's manifest digest with a private key; the signature is stored at the tag sha256-<digest>.sig of its repository, where `cosign verify` finds it",
    )
    .argument(
      '<image>',
      'host[:port]/repo:tag or @sha256:<digest> (a tag is resolved to its digest)',
    )
    .requiredOption(
      '--key <file>',
      'cosign.key (password in COSIGN_PASSWORD) or an unencrypted PEM private key',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  sluice image sign localhost:5000/shop/web:3f2a9c1 --key cosign.key\n  COSIGN_PASSWORD=... sluice image sign $SLUICE_REGISTRY/shop/web@sha256:... --key cosign.key --allow-insecure-registry\n  cosign verify --key cosign.pub --insecure-ignore-tlog localhost:5000/shop/web:3f2a9c1',
    );
  addRegistryFlags(cmd);
  return cmd.action(async (image: string, o: RegistryFlags & { key: string }) => {
    const key = loadPrivateKey(
      await readKeyFile(o.key, '--key'),
      o.key,
      process.env['COSIGN_PASSWORD'],
    );
    const loc = location(image, o);
    const client = await clientFor(loc);
    const { digest, tag } = await withRegistry(async () => {
      const digest = await resolveDigest(client, loc);
      return { digest, tag: await writeSignature(client, digest, key) };
    });
    process.stdout.write(`signed ${loc.name}@${digest}; signature at ${loc.name}:${tag}\n`);
  });
}

function renderVerification(r: ImageVerification): string {
  const lines = [`${r.verified ? 'Verified' : 'NOT verified'}: ${r.message}`];
  for (const s of r.signatures)
    lines.push(
      `  signature ${s.layer.slice(7, 19)}: ${s.keyId ? `key ${s.keyId}` : 'no trusted key'}${s.problem ? ` (${s.problem})` : ''}`,
    );
  return lines.join('\n') + '\n';
}

function verifyCommand(): Command {
  const cmd = new Command('verify')
    .description(
      'check that an image carries a cosign signature (sha256-<digest>.sig tag) by one of the given public keys, for its own digest',
    )
    .argument('<image>', 'host[:port]/repo:tag or @sha256:<digest>')
    .requiredOption(
      '--key <file>',
      'PEM public key(s) (cosign.pub); any one of them may have signed',
    )
    .addOption(outputOption())
    .addHelpText(
      'after',
      '\nExit codes: 0 verified, 1 not verified, 2 usage.\nExamples:\n  sluice image verify localhost:5000/shop/web:3f2a9c1 --key cosign.pub\n  sluice image verify $SLUICE_REGISTRY/shop/web:3f2a9c1 --key cosign.pub --allow-insecure-registry -o json',
    );
  addRegistryFlags(cmd);
  return cmd.action(
    async (image: string, o: RegistryFlags & { key: string; output: OutputFormat }) => {
      const keys = parsePublicKeys(await readKeyFile(o.key, '--key'), o.key);
      const loc = location(image, o);
      // Any one of the keys: one attestor set that needs one entry.
      const client = await clientFor(loc);
      const result = await withRegistry(() => verifyImage(client, loc, [{ count: 1, keys }]));
      printData(o.output, result, () => renderVerification(result));
      if (!result.verified) process.exitCode = 1;
    },
  );
}

async function refuseOverwrite(paths: string[], force: boolean): Promise<void> {
  if (force) return;
  for (const p of paths) {
    const there = await access(p).then(
      () => true,
      () => false,
    );
    if (there)
      throw usage(`${p} exists; not overwriting it`, 'pass --force, or choose --output-key-prefix');
  }
}

function generateCommand(): Command {
  return new Command('generate-key-pair')
    .description(
      'write a new ECDSA P-256 key pair: <prefix>.key as cosign writes it (encrypted with COSIGN_PASSWORD; or unencrypted PEM PKCS#8 with --pem) and <prefix>.pub (PEM)',
    )
    .option('--output-key-prefix <prefix>', 'file name prefix', 'cosign')
    .option('--pem', 'write the private key unencrypted, as PEM PKCS#8')
    .option('--force', 'overwrite existing files')
    .addHelpText(
      'after',
      '\nExamples:\n  COSIGN_PASSWORD=secret sluice image generate-key-pair\n  sluice image generate-key-pair --pem --output-key-prefix ci\n  kubectl create secret generic image-keys -n sluice-system --from-file=cosign.pub',
    )
    .action(async (o: { outputKeyPrefix: string; pem?: boolean; force?: boolean }) => {
      const keyFile = `${o.outputKeyPrefix}.key`;
      const pubFile = `${o.outputKeyPrefix}.pub`;
      await refuseOverwrite([keyFile, pubFile], o.force === true);
      const pair = generateKeyPair();
      let privateText = pair.privateKey;
      if (o.pem !== true) {
        const password = process.env['COSIGN_PASSWORD'];
        if (password === undefined)
          throw usage(
            'COSIGN_PASSWORD is not set',
            'set it (it may be empty), or pass --pem for an unencrypted key',
          );
        privateText = sealCosignKey(createPrivateKey(pair.privateKey), password);
      }
      await writeFile(keyFile, privateText, { mode: 0o600 });
      await writeFile(pubFile, publicKeyPem(createPrivateKey(pair.privateKey)));
      process.stdout.write(`Private key written to ${keyFile}\nPublic key written to ${pubFile}\n`);
    });
}

/** The signing commands, added to `sluice image`. */
export function signingCommands(): Command[] {
  return [signCommand(), verifyCommand(), generateCommand()];
}
