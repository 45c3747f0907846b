package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"stratus/input"

	"github.com/chromedp/chromedp"
)

// TestChromium plays a real H.264 stream (made by ffmpeg) to headless
// Chromium through the engine on 127.0.0.1 and checks that Chromium
// negotiates with the edge, decodes the stream without holding frames in
// its jitter buffer (playout delay 0), and that input and pings flow. It
// needs chromium and ffmpeg and is skipped without them or with -short.
func TestChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium")
	}
	aus := encodeTestVideo(t)

	e := testEngine(t, nil)
	var wantKey atomic.Bool
	p, err := e.NewPeer(PeerConfig{ID: "chromium", OnKeyframeRequest: func() { wantKey.Store(true) }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	eval := evaluator(t, ctx)
	if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}

	// The page, as the real one does it.
	var offer string
	eval(`(async () => {
		const pc = new RTCPeerConnection();
		window.pc = pc;
		window.echoes = [];
		pc.addTransceiver('video', {direction: 'recvonly'});
		const input = pc.createDataChannel('input');
		const motion = pc.createDataChannel('motion', {ordered: false, maxRetransmits: 0});
		for (const dc of [input, motion]) {
			dc.binaryType = 'arraybuffer';
			window.beats = 0;
			dc.onmessage = (m) => {
				const b = new Uint8Array(m.data);
				if (b.length === 3 && b[0] === 0x0c) window.beats++; // the edge's heartbeat
				else window.echoes.push(Array.from(b));
			};
		}
		window.input = input;
		pc.ontrack = (ev) => {
			const v = document.createElement('video');
			v.muted = true;
			v.srcObject = new MediaStream([ev.track]);
			document.body.appendChild(v);
			v.play();
		};
		await pc.setLocalDescription(await pc.createOffer());
		return pc.localDescription.sdp;
	})()`, &offer)
	answer, err := p.Answer(offer)
	if err != nil {
		t.Fatalf("Answer to Chromium's offer: %v\n%s", err, offer)
	}
	answerJSON, _ := json.Marshal(answer)
	eval(fmt.Sprintf(`window.pc.setRemoteDescription({type: 'answer', sdp: %s}).then(() => true)`, answerJSON), nil)
	waitFor(t, 10*time.Second, "Chromium never connected", func() bool { return p.State() == StateConnected })

	// Feed the stream at 30 fps; start over at the IDR when asked.
	stop := make(chan struct{})
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		i := 0
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if wantKey.Swap(false) || i == len(aus) {
				i = 0
			}
			if err := p.WriteVideo(aus[i], i == 0, time.Second/30); err != nil {
				return
			}
			i++
		}
	}()
	defer func() { close(stop); <-fed }()

	type videoStats struct {
		FramesDecoded, FrameWidth, NackCount int
		JitterBufferDelay                    float64
		JitterBufferEmittedCount             float64
	}
	var vs videoStats
	statsJS := `(async () => {
		const r = await window.pc.getStats();
		for (const s of r.values()) {
			if (s.type === 'inbound-rtp' && s.kind === 'video') {
				return {FramesDecoded: s.framesDecoded || 0, FrameWidth: s.frameWidth || 0,
					NackCount: s.nackCount || 0, JitterBufferDelay: s.jitterBufferDelay || 0,
					JitterBufferEmittedCount: s.jitterBufferEmittedCount || 0};
			}
		}
		return {};
	})()`
	waitFor(t, 15*time.Second, "Chromium decoded fewer than 60 frames", func() bool {
		eval(statsJS, &vs)
		return vs.FramesDecoded >= 60
	})
	if vs.FrameWidth != 320 {
		t.Errorf("decoded width %d, want 320", vs.FrameWidth)
	}
	perFrame := time.Duration(0)
	if vs.JitterBufferEmittedCount > 0 {
		perFrame = time.Duration(vs.JitterBufferDelay / vs.JitterBufferEmittedCount * float64(time.Second))
	}
	t.Logf("Chromium: %+v, jitter buffer %v per frame; edge: %+v", vs, perFrame, p.Stats())
	// Without playout delay 0 Chromium 156 holds about 8 ms per frame here;
	// with it, well under one.
	if perFrame > 4*time.Millisecond {
		t.Errorf("Chromium buffers %v per frame: playout delay not honoured", perFrame)
	}

	// Input from the page, and a ping's echo.
	key := input.Append(nil, input.Event{Kind: input.KindKeyDown, Code: 'A'})
	ping := input.Append(nil, input.Event{Kind: input.KindPing, PingID: 77, ClientMs: 12.5})
	sendJS := func(b []byte) string {
		j, _ := json.Marshal(b)
		return fmt.Sprintf(`(() => { window.input.send(new Uint8Array(atob(%s).split('').map(c => c.charCodeAt(0)))); return true; })()`, j)
	}
	eval(sendJS(key), nil)
	eval(sendJS(ping), nil)
	var got []input.Event
	waitFor(t, 5*time.Second, "key from Chromium never arrived", func() bool {
		got = p.ReadInput(got)
		return len(got) > 0
	})
	if got[0].Kind != input.KindKeyDown || got[0].Code != 'A' {
		t.Errorf("from Chromium: %v", got)
	}
	var echoes [][]byte
	waitFor(t, 5*time.Second, "no ping echo in Chromium", func() bool {
		var raw [][]int
		eval(`window.echoes`, &raw)
		echoes = echoes[:0]
		for _, e := range raw {
			b := make([]byte, len(e))
			for i, v := range e {
				b[i] = byte(v)
			}
			echoes = append(echoes, b)
		}
		return len(echoes) > 0
	})
	if !bytes.Equal(echoes[0], ping) {
		t.Errorf("echo %x, want %x", echoes[0], ping)
	}
}

// encodeTestVideo makes two seconds of 320x240 baseline H.264 with one IDR
// and returns its access units, split at the access unit delimiters x264
// writes.
func encodeTestVideo(t *testing.T) [][]byte {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("no ffmpeg")
	}
	out := filepath.Join(t.TempDir(), "test.h264")
	cmd := exec.Command(ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30",
		"-frames:v", "60", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-preset", "ultrafast",
		"-tune", "zerolatency", "-x264-params", "keyint=1000:aud=1:repeat-headers=1", "-f", "h264", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("ffmpeg cannot encode H.264 here: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	aud := []byte{0, 0, 0, 1, 0x09}
	var aus [][]byte
	for len(data) > 0 {
		next := bytes.Index(data[len(aud):], aud)
		if next < 0 {
			aus = append(aus, data)
			break
		}
		aus = append(aus, data[:next+len(aud)])
		data = data[next+len(aud):]
	}
	if len(aus) != 60 {
		t.Fatalf("split %d access units, want 60", len(aus))
	}
	return aus
}

// evaluator runs scripts in the tab of ctx, awaiting their promises, and
// decodes each result into out (nil: ignored); a failure ends the test.
func evaluator(t *testing.T, ctx context.Context) func(js string, out any) {
	return func(js string, out any) {
		t.Helper()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("evaluate: %v\n%s", err, js)
		}
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Fatalf("result %s: %v", raw, err)
			}
		}
	}
}
