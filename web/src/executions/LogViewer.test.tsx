// Log viewer tests: pausing holds the view at the cursor it had — newer lines wait (counted on
// the button), a late line that belongs before that cursor still shows — and resuming shows all.
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { logLine } from '../test/executions';
import { renderWithProviders } from '../test/render';
import { emptyBuffer, mergeLines, type LogBuffer, type LogLine } from './logs';
import { LogViewer } from './LogViewer';

/** The viewer over a buffer, with a button that merges `more` into it (as the stream would). */
function Harness({ buffer, more }: { buffer: LogBuffer; more: LogLine[] }) {
  const [version, setVersion] = useState(0);
  return (
    <>
      <button
        type="button"
        onClick={() => {
          mergeLines(buffer, more);
          setVersion((v) => v + 1);
        }}
      >
        More lines
      </button>
      <LogViewer lines={buffer.rows} version={version} servers={['a']} server={null} onServerChange={() => undefined} />
    </>
  );
}

describe('LogViewer', () => {
  it('pauses at a cursor and resumes', async () => {
    const user = userEvent.setup();
    const buffer = emptyBuffer();
    mergeLines(buffer, [logLine(1, 'one'), logLine(5, 'five')]);
    renderWithProviders(<Harness buffer={buffer} more={[logLine(3, 'three (late)'), logLine(9, 'nine')]} />);
    const shown = () => within(screen.getByTestId('log-view')).getAllByTestId('log-line').map((l) => l.textContent);

    await user.click(screen.getByRole('button', { name: 'Pause' }));
    await user.click(screen.getByRole('button', { name: 'More lines' }));
    expect(shown()).toEqual(['a one', 'a three (late)', 'a five']);
    expect(screen.getByRole('button', { name: 'Resume (1 new)' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByText('3 of 4 lines')).toBeVisible();

    await user.click(screen.getByRole('button', { name: 'Resume (1 new)' }));
    expect(shown()).toEqual(['a one', 'a three (late)', 'a five', 'a nine']);
  });

  it('shows a quiet notice when events were missed', () => {
    renderWithProviders(<LogViewer lines={[]} version={0} servers={[]} server={null} onServerChange={() => undefined} notice="3 events missed — resynced" />);
    expect(screen.getByRole('status')).toHaveTextContent('3 events missed — resynced');
    expect(screen.getByText('No output yet.')).toBeVisible();
  });
});
