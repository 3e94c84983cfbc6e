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

/** Left-aligned columns, like kubectl. */
export function formatTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
