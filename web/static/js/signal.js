// Signal is one WebSocket to a signaling node (/v1/ws), carrying the JSON
// messages of package signaling (signaling/protocol.go).
//
// It is deliberately thin: callbacks for open, message and close, and a
// close() that silences them, so a connection being replaced can never
// deliver a late event into the new one. It also keeps the node's greeting
// ({"type":"hello"}, sent when the socket opens): waitHello() resolves to it,
// or to null when the node sends none within helloWaitMs of opening (nodes
// from before the greeting existed) or the socket closes first.
//
// SignalPool is the list of signaling nodes a page may use: it starts with
// the page's own origin and learns the others from the greeting. When a
// socket fails, the page moves to the next node in the list, round-robin,
// so the node that just failed is tried again last.

export const HELLO_WAIT_MS = 300;

export function signalURL() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/v1/ws`;
}

// wsURL turns a signaling node's address (http(s)://host[:port][/…], as the
// greeting lists them) into its WebSocket URL ws(s)://host[:port]/v1/ws.
// It returns '' for what cannot be used: not a URL, another scheme, or a
// plain-text socket from a secure page (browsers refuse those).
export function wsURL(addr, pageProtocol = globalThis.location ? globalThis.location.protocol : 'http:') {
  let u;
  try {
    u = new URL(addr);
  } catch {
    return '';
  }
  const scheme = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' }[u.protocol];
  if (!scheme || !u.host) return '';
  if (scheme === 'ws:' && pageProtocol === 'https:') return '';
  return `${scheme}//${u.host}/v1/ws`;
}

export class Signal {
  constructor({ onOpen, onMessage, onClose }, url = signalURL(), { helloWaitMs = HELLO_WAIT_MS } = {}) {
    this.cb = { onOpen, onMessage, onClose };
    this.url = url;
    this.closed = false;
    this.opened = false; // the socket opened at some point
    this.hello = null; // the node's greeting, once it arrives
    this.dirty = false; // a request is unanswered: do not reuse (see siglink.js)
    this.helloTimer = 0;
    this.helloP = new Promise((resolve) => {
      this.helloDone = (m) => {
        clearTimeout(this.helloTimer);
        resolve(m);
      };
    });
    this.ws = new WebSocket(url);
    this.ws.onopen = () => {
      if (this.closed) return;
      this.opened = true;
      this.helloTimer = setTimeout(() => this.helloDone(null), helloWaitMs);
      if (this.cb.onOpen) this.cb.onOpen();
    };
    this.ws.onmessage = (e) => {
      if (this.closed || typeof e.data !== 'string') return;
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        console.warn('stratus: bad JSON from signaling', e.data);
        return;
      }
      if (!msg || typeof msg.type !== 'string') return;
      if (msg.type === 'hello') {
        this.hello = msg;
        this.helloDone(msg);
      }
      if (this.cb.onMessage) this.cb.onMessage(msg);
    };
    // An error is always followed by close; close carries what we need.
    this.ws.onclose = (e) => {
      if (this.closed) return;
      this.closed = true;
      this.helloDone(null);
      if (this.cb.onClose) this.cb.onClose(e);
    };
  }

  get open() {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  // waitHello resolves to the greeting, or null (see above).
  waitHello() {
    return this.helloP;
  }

  send(msg) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  close() {
    this.closed = true;
    this.helloDone(null);
    try {
      this.ws.close(1000);
    } catch { /* already closing */ }
  }
}

export class SignalPool {
  constructor(first = signalURL()) {
    this.urls = [first];
    this.index = 0;
    this.failed = 0; // failures since a socket last opened
  }

  get url() {
    return this.urls[this.index];
  }

  get size() {
    return this.urls.length;
  }

  // learn adopts the node list of a greeting. The node in use stays
  // current; the others follow in the greeting's order.
  learn(addrs) {
    if (!Array.isArray(addrs)) return;
    const cur = this.url;
    const list = [cur];
    for (const a of addrs) {
      const u = typeof a === 'string' ? wsURL(a) : '';
      if (u && !list.includes(u)) list.push(u);
    }
    this.urls = list;
    this.index = 0;
  }

  // ok records that the current node's socket opened.
  ok() {
    this.failed = 0;
  }

  // fail records that the current node's socket failed or closed and moves
  // to the next node. It returns the number of full rounds of the list
  // that have now failed in a row: 0 while untried nodes remain, so the
  // caller can try the next at once and back off only after a full round.
  fail() {
    this.failed++;
    this.index = (this.index + 1) % this.urls.length;
    return this.failed % this.urls.length === 0 ? this.failed / this.urls.length : 0;
  }
}
