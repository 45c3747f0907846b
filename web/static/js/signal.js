// Signal is one WebSocket to the signaling server (/v1/ws on this origin),
// carrying the JSON messages of package signaling (signaling/protocol.go).
//
// It is deliberately thin: callbacks for open, message and close, and a
// close() that silences them, so a connection being replaced can never
// deliver a late event into the new one.

export function signalURL() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/v1/ws`;
}

export class Signal {
  constructor({ onOpen, onMessage, onClose }, url = signalURL()) {
    this.cb = { onOpen, onMessage, onClose };
    this.closed = false;
    this.ws = new WebSocket(url);
    this.ws.onopen = () => !this.closed && this.cb.onOpen && this.cb.onOpen();
    this.ws.onmessage = (e) => {
      if (this.closed || typeof e.data !== 'string') return;
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        console.warn('stratus: bad JSON from signaling', e.data);
        return;
      }
      if (msg && typeof msg.type === 'string' && this.cb.onMessage) this.cb.onMessage(msg);
    };
    // An error is always followed by close; close carries what we need.
    this.ws.onclose = (e) => {
      if (this.closed) return;
      this.closed = true;
      if (this.cb.onClose) this.cb.onClose(e);
    };
  }

  get open() {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  send(msg) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  close() {
    this.closed = true;
    try {
      this.ws.close(1000);
    } catch { /* already closing */ }
  }
}
