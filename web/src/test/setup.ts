// Vitest setup: jest-dom matchers, DOM cleanup between tests, and the browser APIs jsdom lacks
// that Mantine uses (matchMedia, ResizeObserver), and a viewport size for virtualized lists.
import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

afterEach(() => {
  cleanup();
  window.sessionStorage.clear();
  window.localStorage.clear();
  vi.unstubAllGlobals();
});

if (!window.matchMedia) {
  Object.defineProperty(window, 'matchMedia', {
    writable: true,
    value: (query: string): MediaQueryList =>
      ({
        matches: false,
        media: query,
        onchange: null,
        addListener: () => undefined,
        removeListener: () => undefined,
        addEventListener: () => undefined,
        removeEventListener: () => undefined,
        dispatchEvent: () => false,
      }) as MediaQueryList,
  });
}

if (!('ResizeObserver' in window)) {
  class ResizeObserverStub {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  Object.defineProperty(window, 'ResizeObserver', { writable: true, value: ResizeObserverStub });
}

window.HTMLElement.prototype.scrollIntoView ??= function scrollIntoView() {};

// jsdom does no layout: give virtualized scroll containers (data-virtual-scroll) a viewport so
// TanStack Virtual renders the rows a 1280x800 screen would, and nothing more.
for (const [prop, size] of [
  ['clientHeight', 600],
  ['clientWidth', 1200],
  ['offsetHeight', 600],
  ['offsetWidth', 1200],
] as const) {
  const original = Object.getOwnPropertyDescriptor(HTMLElement.prototype, prop);
  Object.defineProperty(HTMLElement.prototype, prop, {
    configurable: true,
    get(this: HTMLElement) {
      return this.hasAttribute('data-virtual-scroll') ? size : ((original?.get?.call(this) as number | undefined) ?? 0);
    },
  });
}

// Mantine's autosize Textarea listens for web-font loading; jsdom has no document.fonts.
if (!('fonts' in document)) {
  Object.defineProperty(document, 'fonts', {
    value: { addEventListener: () => undefined, removeEventListener: () => undefined, ready: Promise.resolve() },
  });
}
