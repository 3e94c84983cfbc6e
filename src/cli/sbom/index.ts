/**
 * `sluice sbom --image REF | --dir DIR`: a CycloneDX 1.6 JSON SBOM of an image read from its
 * registry (no container runtime) or of a root filesystem on disk: the OS, the dpkg or apk
 * packages with purls and dependencies, and the files no package owns (src/delivery/sbom).
 * The SBOM goes to stdout or `--output-file`; one summary line goes to stderr.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import {
  cyclonedx,
  FILE_SELECTIONS,
  inventory,
  type BomSubject,
  type FileSelection,
} from '../../delivery/sbom/cyclonedx.ts';
import { indexImage, parseImageRef } from '../../delivery/sbom/image.ts';
import { RootfsIndex } from '../../delivery/sbom/rootfs.ts';
import { SluiceError } from '../../errors.ts';

interface SbomOptions {
  image?: string;
  dir?: string;
  plainHttp?: boolean;
  files: FileSelection;
  outputFile?: string;
}

const TOOL_VERSION = '0.1.0';

async function sbom(o: SbomOptions): Promise<void> {
  if ((o.image === undefined) === (o.dir === undefined)) {
    throw new SluiceError('UsageError', 'give either --image REF or --dir DIR', {
      exitCode: 2,
      hint: 'sluice sbom --image localhost:5000/demo/app:3f2a9c1 --plain-http',
    });
  }
  const started = Date.now();
  let index: RootfsIndex;
  let subject: BomSubject;
  if (o.image !== undefined) {
    const r = await indexImage(parseImageRef(o.image), { plainHttp: o.plainHttp === true });
    index = r.index;
    subject = { type: 'container', name: o.image.replace(/@.*$/, ''), digest: r.digest };
  } else {
    index = new RootfsIndex();
    await index.addDirectory(o.dir ?? '.');
    subject = { type: 'file', name: o.dir ?? '.' };
  }
  const inv = inventory(index);
  const bom = cyclonedx(subject, inv, index, {
    files: o.files,
    timestamp: new Date().toISOString(),
    serialNumber: `urn:uuid:${randomUUID()}`,
    toolVersion: TOOL_VERSION,
  });
  const json = JSON.stringify(bom, null, 2) + '\n';
  if (o.outputFile) await writeFile(o.outputFile, json);
  else process.stdout.write(json);
  const files = bom.components.filter((c) => c.type === 'file').length;
  const os = inv.os ? `${inv.os.id} ${inv.os.versionId}` : 'no os-release';
  process.stderr.write(
    `sbom: ${subject.name}${subject.digest ? `@${subject.digest}` : ''}: ${os}, ${inv.packages.length} packages, ${files} files (${o.files}), ${index.files.size} files scanned in ${((Date.now() - started) / 1000).toFixed(1)} s${o.outputFile ? `; written to ${o.outputFile}` : ''}\n`,
  );
}

export function sbomCommand(): Command {
  return new Command('sbom')
    .description(
      'write a CycloneDX 1.6 JSON SBOM of an image (read from its registry) or a directory: OS, dpkg/apk packages with purls and dependencies, files with SHA-256',
    )
    .option('--image <ref>', 'the image, with its registry: host[:port]/repo[:tag|@digest]')
    .option('--dir <path>', 'a root filesystem (or any directory) on disk instead')
    .option('--plain-http', 'talk to the registry over plain HTTP (the dev cluster registry)')
    .addOption(
      new Option('--files <which>', 'file components: unowned (by no package), all, none')
        .choices([...FILE_SELECTIONS])
        .default('unowned'),
    )
    .option('--output-file <file>', 'write the SBOM here instead of stdout')
    .addHelpText(
      'after',
      `
Examples:
  sluice sbom --image localhost:5000/demo/app:3f2a9c1 --plain-http --output-file sbom.cdx.json
  sluice sbom --dir ./rootfs --files all | jq '.components | length'
  trivy sbom sbom.cdx.json      # scan it later, without the image`,
    )
    .action(sbom);
}
