// The servers list's usage cells: plain below 80 %, an amber badge from 80 %, a red one from
// 90 %, with the level in words (not colour alone).
import { render, screen } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import { describe, expect, it } from 'vitest';
import { theme } from '../theme';
import { UsageValue } from './UsageValue';

const show = (value: number) =>
  render(
    <MantineProvider theme={theme} env="test">
      <UsageValue value={value} />
    </MantineProvider>,
  );

describe('UsageValue', () => {
  it('shows a normal value as plain text', () => {
    const { container } = show(42.46);
    expect(screen.getByText('42.5%')).toBeVisible();
    expect(container.querySelector('[data-usage-level]')).toHaveAttribute('data-usage-level', 'normal');
    expect(container).not.toHaveTextContent(/high|critical/);
  });

  it('marks 80 % and more as high (amber) and says so', () => {
    const { container } = show(85);
    const badge = container.querySelector('[data-usage-level]');
    expect(badge).toHaveAttribute('data-usage-level', 'warning');
    expect(badge).toHaveTextContent('85%, high (80 % or more)');
    expect(badge).toHaveAttribute('title', '85%: high (80 % or more)');
  });

  it('marks 90 % and more as critical (red) and says so', () => {
    const { container } = show(97.25);
    const badge = container.querySelector('[data-usage-level]');
    expect(badge).toHaveAttribute('data-usage-level', 'critical');
    expect(screen.getByText('97.3%')).toBeVisible();
    expect(badge).toHaveTextContent('critical (90 % or more)');
  });
});
