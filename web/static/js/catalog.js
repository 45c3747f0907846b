// The catalog page: asks signaling for the titles over the same WebSocket
// protocol the play page uses ({"type":"titles"}), and lists them, each
// linking to /play?title=<id>. The node's greeting ({"type":"hello"}, first
// on the socket) lists the other signaling nodes: if this one cannot be
// reached the page tries the next at once, and says so and backs off only
// after every node has failed.
//
// Each card shows the title's name, description, the inputs it reads
// (keyboard, mouse, gamepad, touch: an icon and its name, so the list reads
// the same without the icons) and its resolution and frame rate. The name
// is the card's link, stretched over the whole card by CSS; the rest is the
// link's description (aria-describedby), not its name, so a screen reader
// says "Rocks, link" and then what it is rather than one long label.
//
// window.stratus, for automated tests: state ("loading", "ready", "empty",
// "error"), titles (as the titles message listed them) and render(titles),
// which lists the given titles instead.

import { Signal, SignalPool } from './signal.js';
import { icons, inputLabels } from './icons.js';

const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
// An empty list is asked again: a signaling node learns the edges' titles
// a moment after it starts (about a second on a fresh cluster), and a
// player who came early should not be told "no games" for good.
const EMPTY_RETRY_MS = [1000, 2000, 5000, 10000, 30000];
const ANSWER_TIMEOUT_MS = 8000;

const $ = (id) => document.getElementById(id);
const S = { state: 'loading', titles: [], render: (titles) => render(titles) };
window.stratus = S;
const pool = new SignalPool();
let failures = 0;
let empties = 0; // empty answers in a row
let retryTimer = 0;

function setStatus(kind, text, retry) {
  S.state = { ok: 'ready' }[kind] || kind;
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
        const titles = Array.isArray(m.titles) ? m.titles : [];
        render(titles);
        if (titles.length) {
          empties = 0;
        } else {
          const delay = EMPTY_RETRY_MS[Math.min(empties++, EMPTY_RETRY_MS.length - 1)];
          retryTimer = setTimeout(load, delay);
        }
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

// inputLabel names an input kind; one this page does not know yet (a newer
// service) shows as its own name, capitalised.
function inputLabel(kind) {
  return inputLabels[kind] || kind.charAt(0).toUpperCase() + kind.slice(1);
}

function render(titles) {
  S.titles = titles;
  const list = $('titles');
  list.replaceChildren();
  if (titles.length === 0) {
    setStatus('empty', 'No games are available right now. Checking again shortly…');
    return;
  }
  setStatus('ok', '');
  titles.forEach((t, i) => list.append(card(t, `t${i}`)));
}

function card(t, key) {
  const name = t.name || t.id;
  const li = el('li', 'title-card');
  li.dataset.title = t.id;

  // Decoration only: the name says the same.
  const art = el('div', 'art');
  art.setAttribute('aria-hidden', 'true');
  const h = hue(t.id);
  art.style.setProperty('--h1', h);
  art.style.setProperty('--h2', (h + 50) % 360);
  art.append(el('span', 'initial', name.trim().charAt(0).toUpperCase()));
  const play = el('span', 'play-badge');
  play.innerHTML = icons.play;
  art.append(play);

  const body = el('div', 'body');
  const heading = el('h2', 'name');
  const a = el('a', 'play-link', name);
  a.href = `/play?title=${encodeURIComponent(t.id)}`;
  a.title = `Play ${name}`;
  heading.append(a);
  body.append(heading);
  const described = [];
  const add = (node, part) => {
    node.id = `${key}-${part}`;
    described.push(node.id);
    body.append(node);
  };

  if (t.description) add(el('p', 'desc', t.description), 'desc');

  const kinds = (Array.isArray(t.inputs) ? t.inputs : []).filter((k) => typeof k === 'string' && k);
  if (kinds.length) {
    // A list with a visible heading word, read as "Controls: Keyboard,
    // Mouse, …"; each badge is its icon and its name.
    const controls = el('div', 'controls');
    const label = el('span', 'controls-label', 'Controls');
    label.id = `${key}-controls-label`;
    const inputs = el('ul', 'inputs');
    inputs.setAttribute('aria-labelledby', label.id);
    for (const kind of kinds) {
      const chip = el('li', `chip ${kind}`);
      chip.dataset.input = kind;
      chip.innerHTML = icons[kind] || '';
      chip.append(el('span', 'chip-label', inputLabel(kind)));
      inputs.append(chip);
    }
    controls.append(label, inputs);
    add(controls, 'controls');
  } else {
    add(el('p', 'controls none', 'No controls listed'), 'controls');
  }

  const meta = [];
  if (t.width > 0 && t.height > 0) meta.push(['Resolution', `${t.width}×${t.height}`, 'res']);
  if (t.fps > 0) meta.push(['Frame rate', `${t.fps} fps`, 'fps']);
  if (meta.length) {
    // Visible as "1280×720 · 60 fps"; the words say which is which to a
    // screen reader (and on hover).
    const p = el('p', 'meta');
    meta.forEach(([what, text, cls], i) => {
      if (i) p.append(' · ');
      const v = el('span', cls);
      v.title = what;
      v.append(el('span', 'sr-only', `${what} `), text);
      p.append(v);
    });
    add(p, 'meta');
  }
  a.setAttribute('aria-describedby', described.join(' '));

  li.append(art, body);
  return li;
}

load();
