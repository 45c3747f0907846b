// siglink.js — the play page's signaling socket: one at a time (signal.js's
// Signal), to the current node of its SignalPool. The page's own origin
// comes first; the greeting's node list is the fallback. When the socket
// fails or closes the pool moves on to the next node (round-robin, the
// failed one last), and the page decides what to do about it (play.js): a
// background reopen here is at once while the list has untried nodes, with
// the backoff after each full round.
//
// Callbacks come only for the current socket, so a replaced one can never
// deliver a late event.

import { Signal, SignalPool } from './signal.js';
import { backoffMs } from './policy.js';

export class SignalLink {
  // on: open(s), message(s, m), close(s, rounds) (rounds: full rounds of
  // the pool failed, 0 while untried nodes remain), mayReopen() (whether a
  // background reopen is still wanted when its time comes).
  constructor(on) {
    this.on = on;
    this.pool = new SignalPool();
    this.sig = null; // open or opening, or null
    this.timer = 0; // a scheduled reopen
  }

  get url() {
    return this.sig ? this.sig.url : this.pool.url;
  }

  get urls() {
    return this.pool.urls.slice();
  }

  get open() {
    return !!(this.sig && this.sig.open);
  }

  // connect opens a socket to the pool's current node.
  connect() {
    clearTimeout(this.timer);
    this.timer = 0;
    const pool = this.pool;
    for (let tries = 0; ; tries++) {
      try {
        const s = new Signal({
          onOpen: () => {
            if (s !== this.sig) return;
            pool.ok();
            this.on.open(s);
          },
          onMessage: (m) => s === this.sig && this.on.message(s, m),
          onClose: () => {
            if (s !== this.sig) return;
            this.sig = null;
            this.on.close(s, pool.fail()); // now at the next node
          },
        }, pool.url);
        s.titlesPending = false;
        this.sig = s;
        return s;
      } catch (err) {
        // The constructor throws for a URL the browser will not use at all
        // (a blocked port); move on as if it had failed to open.
        console.warn('stratus: cannot open', pool.url, err);
        pool.fail();
        if (tries >= pool.size) throw err;
      }
    }
  }

  close() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (!this.sig) return;
    const s = this.sig;
    this.sig = null;
    s.close();
  }

  // forJoin is the socket a new attempt joins on: the current one when it
  // is usable (open or opening, and no join on it unanswered), else a new
  // one to the current node.
  forJoin() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (this.sig && this.sig.dirty) this.close();
    return this.sig || this.connect();
  }

  // reopen opens a socket in the background, after the backoff for rounds.
  reopen(rounds) {
    clearTimeout(this.timer);
    const delay = rounds ? backoffMs(rounds - 1) : 0;
    this.timer = setTimeout(() => {
      this.timer = 0;
      if (!this.sig && this.on.mayReopen()) this.connect();
    }, delay);
  }
}
