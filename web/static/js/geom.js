// Mapping from page coordinates to the protocol's 0..65535 video space.
//
// The <video> uses object-fit: contain, so the picture is letterboxed inside
// the element; positions must be taken relative to the picture itself, not
// the element, or clicks near the bars would land off target.

// contentRect returns the displayed picture's rectangle in client pixels.
export function contentRect(video) {
  const r = video.getBoundingClientRect();
  const vw = video.videoWidth, vh = video.videoHeight;
  if (!vw || !vh || !r.width || !r.height) return r;
  const scale = Math.min(r.width / vw, r.height / vh);
  const w = vw * scale, h = vh * scale;
  return { left: r.left + (r.width - w) / 2, top: r.top + (r.height - h) / 2, width: w, height: h };
}

const clamp01 = (v) => (v < 0 ? 0 : v > 1 ? 1 : v);

// toVideo maps a client point to {x, y} in 0..65535, clamped to the picture.
export function toVideo(video, clientX, clientY, rect = contentRect(video)) {
  return {
    x: Math.round(clamp01((clientX - rect.left) / rect.width) * 65535),
    y: Math.round(clamp01((clientY - rect.top) / rect.height) * 65535),
  };
}
