// view.js — the play page's status card, hints and toasts: it draws what
// play.js decides (status.js words the cards) and decides nothing itself.

const $ = (id) => document.getElementById(id);

// overlay shows a card, or hides the card for null. actions are buttons
// ({label, run}) or links ({label, href}); primary marks the main one. final
// colours a card without a spinner as the end of the road (error, ended).
export function overlay(card, final) {
  const el = $('overlay');
  if (!card) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  el.classList.toggle('error', !card.spinner && final);
  $('ov-spinner').hidden = !card.spinner;
  $('ov-heading').textContent = card.heading || '';
  $('ov-detail').textContent = card.detail || '';
  const actions = (card.actions || []).map((a) => {
    const b = document.createElement(a.href ? 'a' : 'button');
    b.className = a.primary ? 'btn primary' : 'btn';
    b.textContent = a.label;
    if (a.href) b.href = a.href;
    else b.addEventListener('click', a.run);
    return b;
  });
  $('ov-actions').replaceChildren(...actions);
  if (actions.length) actions[0].focus();
}

// The keyboard/mouse hint shows for a few seconds whenever the game is
// playing on a desktop without the mouse captured; after that it would only
// cover the game.
let hintWanted = false;
let hintTimer = 0;

// hints shows the mouse hint when wanted, and the "sound is off" note.
export function hints(want, soundOff) {
  if (want !== hintWanted) {
    hintWanted = want;
    $('hint').classList.toggle('show', want);
    clearTimeout(hintTimer);
    if (want) hintTimer = setTimeout(() => $('hint').classList.remove('show'), 6000);
  }
  $('sound').classList.toggle('show', soundOff);
}

let toastTimer = 0;

export function toast(text) {
  const el = $('toast');
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 3000);
}
