// Keyboard shortcuts for power users: a pure key handler (tested) and the list the `?` overlay
// shows. Keys typed into a field are never taken; Ctrl/Alt/Meta combinations are left to the
// browser. Two-key sequences ("g s") must be completed within a second.

export interface ShortcutActions {
  help: () => void;
  search: () => void;
  go: (path: string) => void;
  runSelection: () => void;
  toggleTheme: () => void;
}

export const GO_TARGETS: Record<string, { path: string; label: string }> = {
  o: { path: '/overview', label: 'Overview' },
  s: { path: '/servers', label: 'Servers' },
  e: { path: '/executions', label: 'Executions' },
  r: { path: '/run', label: 'Run an action' },
  t: { path: '/templates', label: 'Templates' },
  l: { path: '/locks', label: 'Locks' },
  a: { path: '/audit', label: 'Audit log' },
};

export const SHORTCUTS: { keys: string[]; description: string }[] = [
  { keys: ['?'], description: 'Show this help' },
  { keys: ['/'], description: 'Search on this page' },
  ...Object.entries(GO_TARGETS).map(([key, { label }]) => ({ keys: ['g', key], description: `Go to ${label}` })),
  { keys: ['r'], description: 'Run an action on the selected servers' },
  { keys: ['Shift', 'T'], description: 'Switch light / dark theme' },
  { keys: ['Esc'], description: 'Close a dialog or menu' },
];

const SEQUENCE_MS = 1_000;

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color'].includes(type);
  }
  return target.getAttribute('role') === 'textbox' || target.getAttribute('role') === 'combobox';
}

export function createShortcutHandler(actions: ShortcutActions, now: () => number = Date.now) {
  let pendingG: number | null = null;
  return (event: KeyboardEvent): void => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isEditable(event.target)) return;
    const key = event.key;
    if (pendingG !== null && now() - pendingG <= SEQUENCE_MS) {
      pendingG = null;
      const target = GO_TARGETS[key.toLowerCase()];
      if (target) {
        event.preventDefault();
        actions.go(target.path);
      }
      return;
    }
    pendingG = null;
    switch (key) {
      case 'g':
        pendingG = now();
        return;
      case '?':
        event.preventDefault();
        actions.help();
        return;
      case '/':
        event.preventDefault();
        actions.search();
        return;
      case 'r':
        event.preventDefault();
        actions.runSelection();
        return;
      case 'T':
        event.preventDefault();
        actions.toggleTheme();
        return;
    }
  };
}
