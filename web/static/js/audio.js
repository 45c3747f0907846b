// How loud the game's sound is, measured in the page: the level of the
// remote audio track over short windows, the loudest window of the last
// second, and the energy received so far. The stats overlay shows it and
// window.stratus exposes it (audioLevel, audioPeak, audioEnergy, …), so a
// test can tell sound from silence.
//
// Why the page measures itself: Chromium's own inbound-rtp audioLevel and
// totalAudioEnergy (getStats) read 0 while the <video> is muted, though the
// packets arrive and are decoded (WebRTC measures the level after the
// element's volume, 0 when muted, is applied), and the page plays muted
// until the first click or tap (browsers only autoplay muted). So the page
// taps the track with Web Audio instead: a MediaStreamAudioSourceNode into
// an AnalyserNode, read every METER_EVERY_MS.
//
// What Chromium needs for that (checked in headless Chromium 156, see
// TestPlaySoundInBrowser in cmd/stratus):
//   - The track must be playing in a media element: Chromium pulls remote
//     WebRTC audio only for an element's sink, and a source node on a track
//     no element plays reads silence. The <video> plays the stream, and
//     muted is enough: the analyser hears the sound before the element's
//     volume is applied.
//   - The analyser is not connected to the destination: the <video> plays
//     the sound, and the graph processes an AnalyserNode whose input is
//     connected whether or not anything reads its output. Where the browser
//     knows sinkId {type: 'none'}, the context renders to no audio device at
//     all, so measuring opens no second output.
//   - An AudioContext made before a user activation stays "suspended"
//     (autoplay rules), so start() is called from the page's first click or
//     tap, the one that unmutes the video.
//   - Headless needs no flag for it: with --mute-audio (chromedp's headless
//     default) and no sound card the context runs on a fake output clock
//     and the analyser hears the track all the same.

export const METER_EVERY_MS = 50;
export const FLOOR_DB = -100; // the level of silence: a number (unlike -Infinity) that survives JSON
const PEAK_MS = 1000; // audioPeak is the loudest window of this long
// The analyser keeps the newest FFT_SIZE samples (170 ms at 48 kHz): room
// for a tick up to three periods late before samples go unseen.
const FFT_SIZE = 8192;

// dbfs converts an RMS amplitude (full scale 1) to dBFS, RMS-referenced: 0
// is a full-scale square wave, a full-scale sine reads −3 (the testpattern's
// beep, a sine at 0.2, −17).
export function dbfs(rms) {
  return rms > 0 ? Math.max(FLOOR_DB, 20 * Math.log10(rms)) : FLOOR_DB;
}

// Loudness accumulates windows of samples. energy is the sum over windows
// of RMS² × duration, as WebRTC's totalAudioEnergy is of audioLevel² ×
// duration; since the windows tile the signal it is the integral of the
// squared signal (full scale² · s), and energy / seconds its mean power.
export class Loudness {
  constructor() {
    this.level = FLOOR_DB; // dB of the newest window
    this.energy = 0;
    this.seconds = 0; // audio the windows covered
    this.windows = 0;
    this.recent = []; // {at, db} of the windows in the last PEAK_MS
  }

  // add measures one window: the newest n of samples (the newest last),
  // at sampleRate, ending at `at` (ms, for the peak).
  add(samples, n, sampleRate, at) {
    n = Math.min(n, samples.length);
    if (n <= 0) return;
    let sum = 0;
    for (let i = samples.length - n; i < samples.length; i++) sum += samples[i] * samples[i];
    const seconds = n / sampleRate;
    const ms = sum / n;
    this.level = dbfs(Math.sqrt(ms));
    this.energy += ms * seconds;
    this.seconds += seconds;
    this.windows++;
    this.recent.push({ at, db: this.level });
    this.trim(at);
  }

  // silent marks that nothing is being measured (no track): the level drops
  // to the floor at once rather than holding the last window.
  silent() {
    this.level = FLOOR_DB;
  }

  trim(now) {
    while (this.recent.length && now - this.recent[0].at > PEAK_MS) this.recent.shift();
  }

  // peak is the loudest window of the last PEAK_MS before now; the floor
  // when there was none (measuring stopped).
  peak(now) {
    this.trim(now);
    return this.recent.reduce((m, w) => Math.max(m, w.db), FLOOR_DB);
  }
}

// SoundMeter measures the page's remote audio track with Web Audio.
export class SoundMeter {
  constructor() {
    this.loud = new Loudness();
    this.ctx = null;
    this.analyser = null;
    this.buf = null;
    this.track = null;
    this.source = null;
    this.timer = 0;
    this.last = -1; // ctx.currentTime of the last window's end; -1: start a new run
  }

  // state is the AudioContext's ("running", "suspended", …), or "off"
  // before start().
  get state() {
    return this.ctx ? this.ctx.state : 'off';
  }

  // start makes the AudioContext (once) and resumes it. Call it while
  // handling a user activation, or it stays suspended.
  start() {
    if (!this.ctx) {
      const AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) return;
      try {
        // Browsers that do not know sinkId ignore it and render to the
        // default device, silently (nothing reaches the destination).
        this.ctx = new AC({ sinkId: { type: 'none' } });
      } catch {
        try {
          this.ctx = new AC();
        } catch (err) {
          console.warn('stratus: no AudioContext', err);
          return;
        }
      }
      this.analyser = this.ctx.createAnalyser();
      this.analyser.fftSize = FFT_SIZE;
      this.buf = new Float32Array(FFT_SIZE);
      this.connect();
      this.timer = setInterval(() => this.tick(), METER_EVERY_MS);
    }
    if (this.ctx.state !== 'running' && this.ctx.state !== 'closed') this.ctx.resume().catch(() => {});
  }

  // attach measures track from now on (each Connection brings its own).
  attach(track) {
    if (track === this.track) return;
    this.track = track;
    this.connect();
  }

  connect() {
    if (this.source) {
      this.source.disconnect();
      this.source = null;
    }
    this.last = -1;
    this.loud.silent();
    if (!this.ctx || !this.track || this.track.readyState === 'ended') return;
    try {
      this.source = this.ctx.createMediaStreamSource(new MediaStream([this.track]));
      this.source.connect(this.analyser);
    } catch (err) {
      console.warn('stratus: sound meter', err);
      this.source = null;
    }
  }

  // tick measures the samples since the last tick. The window is the audio
  // clock's advance, not the timer's period, so windows tile the signal
  // without overlap: a late timer makes a longer window (up to FFT_SIZE),
  // not a skipped or double-counted stretch.
  tick() {
    if (!this.source || this.ctx.state !== 'running') return;
    if (this.track.readyState === 'ended') {
      this.connect(); // the Connection closed: silence until the next track
      return;
    }
    const now = this.ctx.currentTime;
    if (this.last < 0) {
      this.last = now;
      return;
    }
    const n = Math.round((now - this.last) * this.ctx.sampleRate);
    if (n <= 0) return;
    this.last = now;
    this.analyser.getFloatTimeDomainData(this.buf);
    this.loud.add(this.buf, n, this.ctx.sampleRate, performance.now());
  }

  get level() {
    return this.loud.level;
  }

  get peak() {
    return this.loud.peak(performance.now());
  }
}
