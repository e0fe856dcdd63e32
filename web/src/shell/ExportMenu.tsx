// A menu button offering CSV, JSON and PDF downloads of what a view shows. The view supplies the
// rows and columns; PDF rendering (jsPDF) is loaded only when chosen.
import { Button, Menu } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { downloadFile, exportFileName, toCsv, toJson, type Column } from '../lib/export';

export interface ExportMenuProps<T> {
  /** File name stem and PDF title, e.g. "servers". */
  name: string;
  title: string;
  rows: readonly T[];
  columns: readonly Column<T>[];
  /** The JSON document; defaults to the rows as they are. */
  json?: () => unknown;
  disabled?: boolean;
}

export function ExportMenu<T>({ name, title, rows, columns, json, disabled }: ExportMenuProps<T>) {
  const exportPdf = async () => {
    try {
      const { downloadPdf } = await import('../lib/pdf');
      await downloadPdf(exportFileName(name, 'pdf'), title, rows, columns);
    } catch (error) {
      notifications.show({
      closeButtonProps: { 'aria-label': 'Close notification' },
        color: 'red',
        title: 'PDF export failed',
        message: `${error instanceof Error ? error.message : String(error)}. CSV and JSON still work.`,
      });
    }
  };
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button variant="default" disabled={disabled || rows.length === 0} data-testid={`export-${name}`}>
          Export
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{rows.length} rows</Menu.Label>
        <Menu.Item onClick={() => downloadFile(exportFileName(name, 'csv'), toCsv(rows, columns), 'text/csv')}>CSV</Menu.Item>
        <Menu.Item onClick={() => downloadFile(exportFileName(name, 'json'), toJson(json ? json() : rows), 'application/json')}>JSON</Menu.Item>
        <Menu.Item onClick={() => void exportPdf()}>PDF</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
