// queue.js — the signaling node's word that the join waits in line
// (signaling/protocol.go): {"type":"queued","title","position","ahead"}.
// web's tests check that what this reads is what the Go side writes.

export const QUEUED = 'queued';

// place is the player's place in line from a queued message: {position,
// ahead}, position 1 at the head; null for a message that says none. ahead
// defaults to the players before position.
export function place(m) {
  if (!m || m.type !== QUEUED) return null;
  const position = Number.isInteger(m.position) && m.position > 0 ? m.position : 0;
  if (!position) return null;
  const ahead = Number.isInteger(m.ahead) && m.ahead >= 0 && m.ahead < position ? m.ahead : position - 1;
  return { position, ahead };
}
