// Tests for CSV / JSON export builders: quoting, formula-injection guard and file names.
import { describe, expect, it } from 'vitest';
import { csvField, exportFileName, toCsv, toJson } from './export';

describe('toCsv', () => {
  it('writes a header and one CRLF line per row, quoting where needed', () => {
    const rows = [
      { id: 'a', note: 'plain', n: 1 },
      { id: 'b', note: 'with, comma and "quote"', n: null },
      { id: 'c', note: 'two\nlines', n: 2.5 },
    ];
    const csv = toCsv(rows, [
      { header: 'id', value: (r) => r.id },
      { header: 'note', value: (r) => r.note },
      { header: 'n', value: (r) => r.n },
    ]);
    expect(csv).toBe('id,note,n\r\na,plain,1\r\nb,"with, comma and ""quote""",\r\nc,"two\nlines",2.5\r\n');
  });

  it('defuses cells a spreadsheet would run as formulas', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField(-1)).toBe('-1');
  });
});

describe('toJson / exportFileName', () => {
  it('pretty-prints and names files by time', () => {
    expect(toJson({ a: 1 })).toBe('{\n  "a": 1\n}\n');
    expect(exportFileName('servers', 'csv', new Date('2025-06-01T12:34:56Z'))).toBe('servers-2025-06-01T12-34-56.csv');
  });
});
