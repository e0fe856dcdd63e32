// Header theme menu: light, dark, or follow the system. Mantine remembers the choice in
// localStorage; "system" tracks prefers-color-scheme live.
import { ActionIcon, Menu, VisuallyHidden, useComputedColorScheme, useMantineColorScheme, type MantineColorScheme } from '@mantine/core';

function SunIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <circle cx="12" cy="12" r="4" />
      <path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" />
    </svg>
  );
}

function MoonIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" />
    </svg>
  );
}

const CHOICES: { value: MantineColorScheme; label: string }[] = [
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
  { value: 'auto', label: 'System' },
];

export function ColorSchemeToggle() {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light', { getInitialValueInEffect: false });
  const current = CHOICES.find((c) => c.value === colorScheme)?.label ?? 'System';
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <ActionIcon variant="default" size="lg" aria-label={`Theme: ${current}`} title={`Theme: ${current}`} data-testid="color-scheme-toggle">
          {computed === 'dark' ? <MoonIcon /> : <SunIcon />}
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>Theme</Menu.Label>
        {CHOICES.map((choice) => (
          <Menu.Item key={choice.value} onClick={() => setColorScheme(choice.value)} rightSection={colorScheme === choice.value ? <span aria-hidden="true">✓</span> : null}>
            {choice.label}
            {colorScheme === choice.value && <VisuallyHidden> (current)</VisuallyHidden>}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
