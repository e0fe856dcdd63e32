// Export of tables to CSV and JSON files the browser downloads. Pure builders (tested) plus one
// `downloadFile` side effect; PDF export lives in pdf.ts and is loaded lazily.

export type Cell = string | number | boolean | null | undefined;

export interface Column<T> {
  header: string;
  value: (row: T) => Cell;
}

/** RFC 4180: quote a field holding a comma, quote, CR or LF; double inner quotes. Cells that a
 * spreadsheet would run as a formula (=, +, -, @ first) are prefixed with a quote. */
export function csvField(value: Cell): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const lines = [columns.map((c) => csvField(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(c.value(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** "servers-2025-06-01T12-00-00.csv" */
export function exportFileName(base: string, extension: string, now = new Date()): string {
  return `${base}-${now.toISOString().slice(0, 19).replace(/:/g, '-')}.${extension}`;
}

export function downloadFile(name: string, content: string | Blob, type: string): void {
  const blob = typeof content === 'string' ? new Blob([content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
