// The player's sign-in token, for signaling nodes that admit only players
// who signed in (stratus signal -player-auth-*). The site that signs its
// players in hands the page the token in the URL's fragment, #token=…,
// which browsers never send to a server; the page keeps it for the tab
// (sessionStorage, so a reload or a failover rejoin still has it) and
// takes it off the address bar, where it would linger in history. A site
// that refreshes the token writes the new one to sessionStorage under
// TOKEN_KEY.

export const TOKEN_KEY = 'stratus.token';

// maxToken bounds what the page keeps: the node refuses tokens over 8 KiB.
const maxToken = 8192;

// playerToken returns the token to join with ('' when none), moving one
// from loc's fragment into storage. loc is window.location (or a stand-in
// with hash), storage sessionStorage (or null where it is blocked), and
// clearHash takes the fragment off the address bar.
export function playerToken(loc, storage, clearHash) {
  const m = /(?:^#|&)token=([^&]+)/.exec((loc && loc.hash) || '');
  if (m) {
    const tok = decodeURIComponent(m[1]);
    if (tok.length <= maxToken) {
      try {
        if (storage) storage.setItem(TOKEN_KEY, tok);
      } catch (_) {
        // Storage may be full or blocked: the token still serves now.
      }
      if (clearHash) clearHash();
      return tok;
    }
  }
  try {
    const tok = storage ? storage.getItem(TOKEN_KEY) : null;
    return tok && tok.length <= maxToken ? tok : '';
  } catch (_) {
    return '';
  }
}
