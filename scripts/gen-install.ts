/**
 * Writes deploy/install.yaml: the Helm chart rendered with its default values (run: npm run
 * gen:install; src/deploy/chart.test.ts fails when the file differs from a fresh render).
 */
import { writeFile } from 'node:fs/promises';
import { INSTALL_FILE, renderInstallManifest } from '../src/deploy/chart.ts';

await writeFile(INSTALL_FILE, await renderInstallManifest());
console.log(`wrote ${INSTALL_FILE}`);
