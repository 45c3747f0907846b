// frames.js — presented video frames. They drive the playing state, the
// stall watchdog, fps and the latency measurement. requestVideoFrameCallback
// fires once per frame composited to the screen; without it, polling
// currentTime per animation frame is a coarse stand-in.

const CHECK_MS = 25; // how often the stall watchdog looks: a tenth of a failover's budget
const ON_TIME_MS = 25; // a tick later than this may have kept beats waiting

export class Frames {
  // onFrame(now, meta) runs for every presented frame (meta is null when
  // polling).
  constructor(video, onFrame) {
    this.video = video;
    this.onFrame = onFrame;
    this.rvfc = 'requestVideoFrameCallback' in HTMLVideoElement.prototype;
    this.armed = false;
    this.presented = 0; // frames presented since the page loaded
    this.lastPresented = 0; // the video's own count at the latest frame
    this.lastAt = 0; // performance.now() of the latest frame
    this.tick = (now, meta) => this.frame(now, meta);
    // Frames pause while the page is hidden: no stall on return.
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.lastAt = performance.now();
    });
  }

  // arm starts listening, once the video has a stream.
  arm() {
    if (this.armed) return;
    this.armed = true;
    const video = this.video;
    if (this.rvfc) {
      video.requestVideoFrameCallback(this.tick);
      return;
    }
    let lastTime = -1;
    const poll = (now) => {
      if (video.currentTime !== lastTime && video.readyState >= 2) {
        lastTime = video.currentTime;
        this.frame(now, null);
      }
      requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  }

  frame(now, meta) {
    if (this.rvfc) this.video.requestVideoFrameCallback(this.tick);
    const n = meta ? meta.presentedFrames : 0;
    this.presented += n > this.lastPresented ? n - this.lastPresented : 1;
    this.lastPresented = n;
    this.lastAt = performance.now();
    this.onFrame(now, meta);
  }

  // watch runs the stall watchdog: while playing(), no frame for limitMs()
  // is a stall, and no frame and no beat from the edge for deadMs()
  // (silentMs(now) is how long the edge has not beaten: 0 until its first
  // beat) a dead edge. Before it calls onStall or onDead it asks
  // packetAge() how long ago the browser got its latest video packet, and
  // judge (policy.js silence) may call it congestion instead: onCongested
  // (now), asked again on the next look. Otherwise it calls onSteady(now).
  // A tick that comes late means the page itself was not running (a long
  // task, a frozen tab); frames could not be presented, nor beats heard,
  // either, so the wait starts over instead of blaming the edge. The short
  // rule waits for a tick on time. Hidden pages present no frames; that is
  // no stall.
  watch({ playing, limitMs, deadMs, silentMs, packetAge, judge, onStall, onDead, onCongested, onSteady }) {
    let lastCheck = performance.now();
    let asking = false; // one packetAge question at a time
    const suspect = (stalled) => {
      if (asking) return;
      asking = true;
      const since = this.lastAt;
      packetAge()
        .catch(() => Infinity)
        .then((packetAgeMs) => {
          asking = false;
          // A frame, or for the beat rule a beat, while the browser
          // answered: nothing to judge.
          const now = performance.now();
          if (!playing() || this.lastAt !== since || (!stalled && silentMs(now) <= deadMs())) return;
          const v = judge({ gapMs: now - this.lastAt, stalled, packetAgeMs });
          if (v === 'congested') onCongested(now);
          else if (v === 'stalled') onStall();
          else onDead();
        });
    };
    setInterval(() => {
      const now = performance.now();
      const lag = now - lastCheck - CHECK_MS;
      lastCheck = now;
      if (!playing()) return;
      if (lag > 200) {
        this.lastAt = Math.max(this.lastAt, now);
        return;
      }
      if (document.hidden) {
        onSteady(now);
        return;
      }
      const gap = now - this.lastAt;
      if (gap > limitMs()) suspect(true);
      else if (lag < ON_TIME_MS && gap > deadMs() && silentMs(now) > deadMs()) suspect(false);
      else onSteady(now);
    }, CHECK_MS);
  }
}

// frameWall is when a frame was presented, in Unix ms.
export function frameWall(meta) {
  const t = meta && meta.presentationTime;
  return t > 0 ? performance.timeOrigin + t : Date.now();
}
