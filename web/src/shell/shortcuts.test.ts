// Tests for the keyboard shortcut handler: single keys, "g" sequences with their time limit, and
// keys typed into fields or with modifiers left alone.
import { describe, expect, it, vi } from 'vitest';
import { createShortcutHandler, type ShortcutActions } from './shortcuts';

function setup() {
  let now = 0;
  const actions: ShortcutActions = { help: vi.fn(), search: vi.fn(), go: vi.fn(), runSelection: vi.fn(), toggleTheme: vi.fn() };
  const handle = createShortcutHandler(actions, () => now);
  const press = (key: string, init: KeyboardEventInit = {}, target: EventTarget = document.body) => {
    const event = new KeyboardEvent('keydown', { key, cancelable: true, ...init });
    Object.defineProperty(event, 'target', { value: target });
    handle(event);
    return event;
  };
  return { actions, press, tick: (ms: number) => (now += ms) };
}

describe('createShortcutHandler', () => {
  it('runs single-key shortcuts', () => {
    const { actions, press } = setup();
    expect(press('?').defaultPrevented).toBe(true);
    press('/');
    press('r');
    press('T', { shiftKey: true });
    expect(actions.help).toHaveBeenCalledOnce();
    expect(actions.search).toHaveBeenCalledOnce();
    expect(actions.runSelection).toHaveBeenCalledOnce();
    expect(actions.toggleTheme).toHaveBeenCalledOnce();
  });

  it('goes to a view with g then a letter, within a second', () => {
    const { actions, press, tick } = setup();
    press('g');
    press('s');
    press('g');
    press('e');
    press('g');
    tick(1500);
    press('r');
    expect(actions.go).toHaveBeenNthCalledWith(1, '/servers');
    expect(actions.go).toHaveBeenNthCalledWith(2, '/executions');
    expect(actions.go).toHaveBeenCalledTimes(2);
    press('g');
    press('o');
    expect(actions.go).toHaveBeenNthCalledWith(3, '/overview');
    // The late "r" is the run shortcut, not "g r".
    expect(actions.runSelection).toHaveBeenCalledOnce();
  });

  it('leaves keys typed into a field, and Ctrl/Meta/Alt combinations, to the page', () => {
    const { actions, press } = setup();
    const input = document.createElement('input');
    press('/', {}, input);
    press('r', {}, document.createElement('textarea'));
    press('r', { ctrlKey: true });
    press('?', { metaKey: true });
    const checkbox = Object.assign(document.createElement('input'), { type: 'checkbox' });
    press('r', {}, checkbox);
    expect(actions.search).not.toHaveBeenCalled();
    expect(actions.help).not.toHaveBeenCalled();
    expect(actions.runSelection).toHaveBeenCalledOnce();
  });
});
