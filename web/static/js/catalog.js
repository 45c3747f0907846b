// The catalog page: asks signaling for the titles over the same WebSocket
// protocol the play page uses ({"type":"titles"}), and lists them, each
// linking to /play?title=<id>. The node's greeting ({"type":"hello"}, first
// on the socket) lists the other signaling nodes: if this one cannot be
// reached the page tries the next at once, and says so and backs off only
// after every node has failed.

import { Signal, SignalPool } from './signal.js';
import { icons, inputLabels } from './icons.js';

const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
const ANSWER_TIMEOUT_MS = 8000;

const $ = (id) => document.getElementById(id);
const pool = new SignalPool();
let failures = 0;
let retryTimer = 0;

function setStatus(kind, text, retry) {
  const el = $('status');
  el.hidden = kind === 'ok';
  el.className = `status ${kind}`;
  el.querySelector('.spinner').hidden = kind !== 'loading';
  $('status-text').textContent = text;
  el.querySelector('.btn')?.remove();
  if (retry) {
    const b = document.createElement('button');
    b.className = 'btn';
    b.type = 'button';
    b.textContent = 'Retry now';
    b.addEventListener('click', load);
    el.append(b);
  }
}

function load() {
  clearTimeout(retryTimer);
  setStatus('loading', 'Connecting to Stratus…');
  let done = false;
  const fail = (why) => {
    if (done) return;
    done = true;
    sig.close();
    // Another node may answer: try each once before backing off.
    if (pool.fail() === 0) {
      retryTimer = setTimeout(load, 0);
      return;
    }
    const delay = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)];
    setStatus('error', `${why} Retrying in ${Math.round(delay / 1000)} s…`, true);
    retryTimer = setTimeout(load, delay);
  };
  const timer = setTimeout(() => fail('Stratus signaling is not answering.'), ANSWER_TIMEOUT_MS);
  const sig = new Signal({
    onOpen: () => {
      setStatus('loading', 'Loading games…');
      sig.send({ type: 'titles' });
    },
    onMessage: (m) => {
      if (m.type === 'hello') {
        pool.learn(m.signals);
      } else if (m.type === 'titles') {
        done = true;
        failures = 0;
        pool.ok();
        clearTimeout(timer);
        sig.close();
        render(Array.isArray(m.titles) ? m.titles : []);
      } else if (m.type === 'error') {
        clearTimeout(timer);
        fail(`${m.message || m.code}.`);
      }
    },
    onClose: () => {
      clearTimeout(timer);
      fail('Cannot reach Stratus signaling.');
    },
  }, pool.url);
}

// hue derives a stable colour from a title id, so each card has its own
// look without any artwork to ship.
function hue(id) {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return h % 360;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function render(titles) {
  const list = $('titles');
  list.replaceChildren();
  if (titles.length === 0) {
    setStatus('empty', 'No games are available right now.');
    return;
  }
  setStatus('ok', '');
  for (const t of titles) {
    const li = el('li');
    const a = el('a', 'title-card');
    a.href = `/play?title=${encodeURIComponent(t.id)}`;
    a.setAttribute('aria-label', `Play ${t.name || t.id}`);

    const art = el('div', 'art');
    const h = hue(t.id);
    art.style.setProperty('--h1', h);
    art.style.setProperty('--h2', (h + 50) % 360);
    art.append(el('span', 'initial', (t.name || t.id).trim().charAt(0).toUpperCase()));
    const play = el('span', 'play-badge');
    play.innerHTML = icons.play;
    art.append(play);

    const body = el('div', 'body');
    body.append(el('h2', '', t.name || t.id));
    if (t.description) body.append(el('p', 'desc', t.description));

    const inputs = el('ul', 'inputs');
    inputs.setAttribute('aria-label', 'Controls');
    for (const kind of t.inputs || []) {
      const chip = el('li', `chip ${kind}`);
      chip.innerHTML = icons[kind] || '';
      chip.append(el('span', '', inputLabels[kind] || kind));
      chip.title = `Supports ${inputLabels[kind] || kind}`;
      inputs.append(chip);
    }
    body.append(inputs);
    if (t.width && t.height) {
      body.append(el('p', 'meta', `${t.width}×${t.height}${t.fps ? ` · ${t.fps} fps` : ''}`));
    }
    a.append(art, body);
    li.append(a);
    list.append(li);
  }
}

load();
