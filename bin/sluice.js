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

// The controller is long-lived: give V8 a heap sized for it (left alone, V8 lets garbage grow to
// gigabytes before collecting). process.execve replaces this process, so the PID stays the same.
// Set SLUICE_CONTROLLER_HEAP_MB (or your own --max-old-space-size in NODE_OPTIONS) to change it.
const heapFlags = ['--max-old-space-size', '--max-semi-space-size'];
const tuned = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((f) =>
  heapFlags.some((h) => f.startsWith(h)),
);
if (process.argv[2] === 'controller' && !tuned && typeof process.execve === 'function') {
  const heapMb = Number(process.env.SLUICE_CONTROLLER_HEAP_MB) || 192;
  process.execve(
    process.execPath,
    [
      process.execPath,
      `--max-old-space-size=${heapMb}`,
      '--max-semi-space-size=8',
      ...process.argv.slice(1),
    ],
    process.env,
  );
}

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
