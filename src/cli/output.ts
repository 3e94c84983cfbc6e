/** Printing results: every read command takes `-o table|json|yaml`. */
import { Option } from 'commander';
import { stringify } from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';

export const outputOption = (): Option =>
  new Option('-o, --output <format>', 'output format')
    .choices(['table', 'json', 'yaml'])
    .default('table');

/** Prints data as JSON or YAML, or calls `table` for the human format. */
export function printData(format: OutputFormat, data: unknown, table: () => string): void {
  if (format === 'json') process.stdout.write(JSON.stringify(data, null, 2) + '\n');
  else if (format === 'yaml') process.stdout.write(stringify(data));
  else process.stdout.write(table());
}

// Select Graphic Rendition sequences (colours, bold): they take no room on screen.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** How many columns a cell takes on screen: colour codes do not count. */
export const visibleWidth = (s: string): number => s.replace(ANSI, '').length;

/** Left-aligned columns, like kubectl; cells may be coloured. */
export function formatTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
): string {
  const widths = header.map((h, i) =>
    Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ''))),
  );
  const pad = (c: string, i: number): string =>
    c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleWidth(c)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : pad(c, i)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/**
 * A reader that stops early (`sluice app list | head -1`) closes our stdout: end quietly, as
 * command-line tools do, instead of crashing with a stack trace.
 */
export function exitQuietlyOnClosedPipe(
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
): void {
  for (const s of streams) {
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}
