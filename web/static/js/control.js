// control.js — the edge's JSON messages to the page on the "input" data
// channel. Their types are defined in Go, in input/control.go; web's tests
// check these names against it, and STATS_FIELDS against input.EdgeStats.
//
//   snapshot  {token}          the game's latest saved state, as a resume token
//   move      {reason, token}  the edge goes out of service: rejoin elsewhere
//   ended     {reason}         the game ended for good
//   stats     {…EdgeStats}     once a second, for the stats overlay (link.js)
//   activated {resumed}        a standby took the game over (standby.js)
//   refused   {reason}         a standby refused to: rejoin instead

export const CONTROL = Object.freeze({
  SNAPSHOT: 'snapshot',
  MOVE: 'move',
  ENDED: 'ended',
  STATS: 'stats',
  ACTIVATED: 'activated',
  REFUSED: 'refused',
});

// STATS_FIELDS are the fields of a stats report the page reads.
export const STATS_FIELDS = Object.freeze(['encoder', 'renderer', 'encodeMs', 'renderMs', 'fps', 'skipped', 'fecOverheadPct', 'rung', 'targetKbps']);

// tokenOf is a message's resume token, or '' when it carries none.
export function tokenOf(m) {
  return typeof m.token === 'string' ? m.token : '';
}

// moveReason is why the edge asks the page to move, as the player reads it.
export function moveReason(m) {
  return (typeof m.reason === 'string' && m.reason) || 'maintenance';
}
