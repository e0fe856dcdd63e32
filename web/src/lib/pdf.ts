// PDF export of a table (jsPDF + autotable). Imported dynamically by the export menu, so the
// ~350 kB of jsPDF is fetched only when someone asks for a PDF.
import { jsPDF } from 'jspdf';
import { autoTable } from 'jspdf-autotable';
import type { Column } from './export';

export async function downloadPdf<T>(fileName: string, title: string, rows: readonly T[], columns: readonly Column<T>[]): Promise<void> {
  const doc = new jsPDF({ orientation: 'landscape', unit: 'pt', format: 'a4' });
  doc.setFontSize(14);
  doc.text(title, 40, 40);
  doc.setFontSize(9);
  doc.text(`Exported ${new Date().toISOString()} — ${rows.length} rows`, 40, 56);
  autoTable(doc, {
    startY: 70,
    head: [columns.map((c) => c.header)],
    body: rows.map((row) => columns.map((c) => {
      const v = c.value(row);
      return v === null || v === undefined ? '' : String(v);
    })),
    styles: { fontSize: 7, cellPadding: 3, overflow: 'linebreak' },
    headStyles: { fillColor: [25, 113, 194] },
  });
  doc.save(fileName);
  return Promise.resolve();
}
