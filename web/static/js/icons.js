// Inline SVG icons (no icon font or CDN). Stroke icons on a 24-unit grid that
// take the text colour.

const svg = (body) =>
  `<svg class="icon" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" ` +
  `stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${body}</svg>`;

export const icons = {
  keyboard: svg('<rect x="2" y="6" width="20" height="12" rx="2"/><path d="M6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10"/>'),
  mouse: svg('<rect x="6" y="3" width="12" height="18" rx="6"/><path d="M12 7v4"/>'),
  gamepad: svg('<path d="M6 11h4M8 9v4M15 12h.01M18 10h.01"/><path d="M17.3 5H6.7a4 4 0 0 0-3.96 3.45l-.73 5.1A3 3 0 0 0 7.3 16.1L9 14h6l1.7 2.1a3 3 0 0 0 5.29-2.55l-.73-5.1A4 4 0 0 0 17.3 5z"/>'),
  touch: svg('<path d="M9 11V5a2 2 0 0 1 4 0v6"/><path d="M13 10a2 2 0 0 1 4 0v1a2 2 0 0 1 2 2v3a6 6 0 0 1-6 6h-1.5a6 6 0 0 1-4.9-2.5L4 16.5a1.7 1.7 0 0 1 2.6-2.2L9 16"/>'),
  play: svg('<path d="M7 4v16l13-8z"/>'),
  alert: svg('<circle cx="12" cy="12" r="9"/><path d="M12 8v5M12 16h.01"/>'),
};

export const inputLabels = {
  keyboard: 'Keyboard',
  mouse: 'Mouse',
  gamepad: 'Gamepad',
  touch: 'Touch',
};
