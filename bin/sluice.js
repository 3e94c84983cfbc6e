#!/usr/bin/env node
// Entry point of the `sluice` command. Sluice runs its TypeScript sources directly on Node 24
// (type stripping), so there is no build step between `npm ci` and `npx sluice`.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `sluice needs Node.js 24 or newer; this is ${process.version}.\n` +
      'Run it through npm (`npx sluice`, `npm run ...`), which puts the pinned Node 24 first on the PATH.',
  );
  process.exit(1);
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
