// The servers the user has selected: a small store shared by the servers list (checkboxes), the
// `r` shortcut and the action builder's targets. Browser-only UI state: it holds server ids, not
// server data (that stays in the GraphQL cache).
import { useSyncExternalStore } from 'react';

type Listener = () => void;

let selected: ReadonlySet<string> = new Set();
const listeners = new Set<Listener>();

function emit(next: ReadonlySet<string>) {
  selected = next;
  listeners.forEach((listener) => listener());
}

export const serverSelection = {
  get: (): ReadonlySet<string> => selected,
  subscribe: (listener: Listener) => {
    listeners.add(listener);
    return () => void listeners.delete(listener);
  },
  set: (ids: Iterable<string>) => {
    emit(new Set(ids));
  },
  toggle: (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    emit(next);
  },
  /** Adds (on = true) or removes every id. */
  setMany: (ids: Iterable<string>, on: boolean) => {
    const next = new Set(selected);
    for (const id of ids) {
      if (on) next.add(id);
      else next.delete(id);
    }
    emit(next);
  },
  clear: () => {
    if (selected.size > 0) emit(new Set());
  },
};

export function useServerSelection(): ReadonlySet<string> {
  return useSyncExternalStore(serverSelection.subscribe, serverSelection.get);
}
