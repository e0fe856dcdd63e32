// Test doubles for the browser's WebSocket.

/** A WebSocket that never connects: subscriptions stay pending, as with a slow network. */
export class SilentWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly readyState = 0;
  readonly protocol = '';
  onopen = null;
  onclose = null;
  onerror = null;
  onmessage = null;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  close() {}
  send() {}
}
