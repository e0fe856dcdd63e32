// The notification center's state: executions the user started and is waiting on, and the
// messages about how they ended (newest first, kept in sessionStorage so a reload keeps them).
import { useSyncExternalStore } from 'react';

export interface Notice {
  id: string;
  executionId: string;
  title: string;
  message: string;
  ok: boolean;
  at: number;
  read: boolean;
}

interface State {
  watching: readonly string[];
  notices: readonly Notice[];
}

const KEY = 'greenroom.notifications';
const MAX_NOTICES = 50;

function load(): State {
  try {
    const raw = window.sessionStorage.getItem(KEY);
    if (raw) {
      const parsed = JSON.parse(raw) as Partial<State>;
      return { watching: Array.isArray(parsed.watching) ? parsed.watching : [], notices: Array.isArray(parsed.notices) ? parsed.notices : [] };
    }
  } catch {
    // ignore: start empty
  }
  return { watching: [], notices: [] };
}

let state: State | null = null;
const listeners = new Set<() => void>();
const current = () => (state ??= load());

function set(next: State) {
  state = next;
  try {
    window.sessionStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // ignore
  }
  listeners.forEach((l) => l());
}

export const notificationCenter = {
  get: current,
  subscribe: (listener: () => void) => {
    listeners.add(listener);
    return () => void listeners.delete(listener);
  },
  watch: (executionId: string) => {
    const s = current();
    if (!s.watching.includes(executionId)) set({ ...s, watching: [...s.watching, executionId] });
  },
  /** Records how a watched execution ended and stops watching it. */
  finish: (notice: Omit<Notice, 'id' | 'at' | 'read'>) => {
    const s = current();
    if (!s.watching.includes(notice.executionId)) return false;
    const entry: Notice = { ...notice, id: `${notice.executionId}-${Date.now()}`, at: Date.now(), read: false };
    set({ watching: s.watching.filter((id) => id !== notice.executionId), notices: [entry, ...s.notices].slice(0, MAX_NOTICES) });
    return true;
  },
  markAllRead: () => {
    const s = current();
    if (s.notices.some((n) => !n.read)) set({ ...s, notices: s.notices.map((n) => ({ ...n, read: true })) });
  },
  clear: () => {
    set({ ...current(), notices: [] });
  },
  /** For tests. */
  reset: () => {
    state = { watching: [], notices: [] };
    listeners.forEach((l) => l());
  },
};

export function useNotificationCenter(): State {
  return useSyncExternalStore(notificationCenter.subscribe, notificationCenter.get);
}
