package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// A studio's touch profile end to end: the phone's on-screen controls
// follow the manifest's input.touch (static/js/touch.js), and what they
// send reaches the program as the keys and clicks the studio mapped. The
// programs are xev, as in onboard_test.go, logging what they get.

const (
	// touchKeysManifest is "keys" with a touch profile: a stick sending the
	// arrow keys and two buttons sending keys.
	touchKeysManifest = `{"id":"touchkeys","name":"Touch Keys","version":"1.0.0","runtime":"process","command":"run.sh",
		"args":["-geometry","640x360+0+0"],"width":640,"height":360,"fps":30,
		"input":{"keyboard":true,"touch":{"layout":"gamepad","stick":"arrows",
			"buttons":[{"label":"Jump","key":"Space"},{"label":"Fire","key":"F"}]}}}`
	// touchMouseManifest is "keys" reporting buttons instead, with the
	// pointer layout: the finger is the mouse.
	touchMouseManifest = `{"id":"touchmouse","name":"Touch Mouse","version":"1.0.0","runtime":"process","command":"run.sh",
		"args":["-geometry","640x360+0+0","-event","button"],"width":640,"height":360,"fps":30,
		"input":{"keyboard":true,"mouse":true,"touch":{"layout":"pointer"}}}`
)

// Phone held sideways, in CSS pixels.
const phoneW, phoneH = 844, 390

// installLike installs title id with the files of an installed one, as an
// operator copying the same program under another name would.
func (s *onboardStack) installLike(t *testing.T, id, from string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.titles, from))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(s.titles, from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(s.titles, id, e.Name()), string(data), info.Mode().Perm())
	}
}

// newPhone is a browser that looks like a touch phone to the page: touch
// emulation (so hasTouch() holds from the first script) and a small
// landscape viewport.
func newPhone(t *testing.T) context.Context {
	t.Helper()
	ctx := newBrowser(t)
	if _, err := chromedp.Call(ctx, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: true, MaxTouchPoints: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: phoneW, Height: phoneH, DeviceScaleFactor: 1, Mobile: true}); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// finger dispatches real touch events (Input.dispatchTouchEvent): the page
// sees pointer events of type "touch", as on a phone.
type finger struct {
	t   *testing.T
	ctx context.Context
}

func (f finger) send(typ input.DispatchTouchEventType, points ...*input.TouchPoint) {
	f.t.Helper()
	if _, err := chromedp.Call(f.ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: typ, TouchPoints: points}); err != nil {
		f.t.Fatal(err)
	}
}

// pt is a touch point of finger id (ids start at 1: 0 would be left out
// of the message).
func pt(x, y, id float64) *input.TouchPoint {
	return &input.TouchPoint{X: x, Y: y, ID: &id}
}

// tap touches (x, y) and lifts after hold.
func (f finger) tap(x, y float64, hold time.Duration) {
	f.t.Helper()
	f.send(input.DispatchTouchEventTypeTouchStart, pt(x, y, 1))
	time.Sleep(hold)
	f.send(input.DispatchTouchEventTypeTouchEnd)
}

// center is the middle of the element a CSS selector picks, in CSS pixels.
func center(t *testing.T, ctx context.Context, selector string) (x, y float64) {
	t.Helper()
	r := eval[[]float64](t, ctx, fmt.Sprintf(`(() => {
  const e = document.querySelector(%q);
  if (!e) return [];
  const r = e.getBoundingClientRect();
  return [r.left + r.width / 2, r.top + r.height / 2];
})()`, selector))
	if len(r) != 2 {
		t.Fatalf("no element %s on the page", selector)
	}
	return r[0], r[1]
}

// xevEvents splits xev's log into events (blank-line separated) and
// returns those of kind ("KeyPress", "ButtonRelease" …) holding want.
func xevEvents(log, kind, want string) int {
	n := 0
	for _, ev := range strings.Split(log, "\n\n") {
		ev = strings.TrimSpace(ev)
		if strings.HasPrefix(ev, kind+" event") && strings.Contains(ev, want) {
			n++
		}
	}
	return n
}

// waitXev waits until xev logged at least n events of kind holding want.
func waitXev(t *testing.T, logPath, kind, want string, n int) {
	t.Helper()
	poll(t, 10*time.Second, fmt.Sprintf("xev to report %d× %s with %q", n, kind, want), func() (bool, string) {
		b, _ := os.ReadFile(logPath)
		return xevEvents(string(b), kind, want) >= n, string(b)
	})
}

var xevPosition = regexp.MustCompile(`root:\((-?\d+),(-?\d+)\)`)

// pressedAt is where on the display (root coordinates: the window has a
// border) xev saw the first ButtonPress holding want.
func pressedAt(log, want string) (x, y int, ok bool) {
	for _, ev := range strings.Split(log, "\n\n") {
		ev = strings.TrimSpace(ev)
		if !strings.HasPrefix(ev, "ButtonPress event") || !strings.Contains(ev, want) {
			continue
		}
		m := xevPosition.FindStringSubmatch(ev)
		if m == nil {
			return 0, 0, false
		}
		x, _ = strconv.Atoi(m[1])
		y, _ = strconv.Atoi(m[2])
		return x, y, true
	}
	return 0, 0, false
}

// buttonLabels lists the aria-labels of the on-screen buttons.
const buttonLabels = `[...document.querySelectorAll('#pad button')].map((b) => b.getAttribute('aria-label'))`

func TestTouchProfileInBrowser(t *testing.T) {
	s := newOnboardStack(t)
	s.installLike(t, "touchkeys", "keys")
	s.installLike(t, "touchmouse", "keys")
	for _, m := range []string{touchKeysManifest, touchMouseManifest, keysManifest} {
		s.add(t, m)
	}
	s.waitOffered(t, "touchkeys", "touchmouse", "keys")
	locksBefore := xLocks()

	t.Run("gamepad layout: the studio's buttons and an arrow-key stick", func(t *testing.T) {
		ctx := newPhone(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/play?title=touchkeys")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.framesPresented > 10 && stratus.touchLayout === "gamepad"`,
			"touchkeys to play with its touch profile", 30*time.Second)
		if !eval[bool](t, ctx, `document.body.classList.contains("touch") && !document.getElementById("pad").hidden`) {
			t.Fatal("the page shows no touch controls")
		}
		if got := eval[[]string](t, ctx, buttonLabels); strings.Join(got, ",") != "Jump,Fire" {
			t.Fatalf("on-screen buttons %q, want the profile's Jump and Fire only (no default A/B/X/Y/Start)", got)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('#pad .pad-btn, #pad .pad-start, #pad .pad-cluster').length`); n != 0 {
			t.Errorf("%d parts of the default gamepad shown with a profile", n)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('#pad .stick-zone').length`); n != 1 {
			t.Errorf("%d sticks, want 1", n)
		}
		// Every button on screen and clear of the others.
		rects := eval[[][]float64](t, ctx, `[...document.querySelectorAll('#pad button')].map((b) => { const r = b.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })`)
		for i, r := range rects {
			if r[0] < 0 || r[1] < 0 || r[2] > phoneW || r[3] > phoneH || r[2]-r[0] < 40 || r[3]-r[1] < 40 {
				t.Errorf("button %d at %v: off screen or too small for a thumb (%dx%d)", i, r, phoneW, phoneH)
			}
			for j := range i {
				o := rects[j]
				if r[0] < o[2] && o[0] < r[2] && r[1] < o[3] && o[1] < r[3] {
					t.Errorf("buttons %d %v and %d %v overlap", i, r, j, o)
				}
			}
		}

		session := eval[string](t, ctx, `stratus.session`)
		logPath := filepath.Join(s.runDir, "logs", session+".log")
		f := finger{t, ctx}
		// A tap on the picture, clear of the controls: it activates the
		// page and, as a touch event, puts X's pointer (and so the
		// keyboard focus; there is no window manager) on xev.
		f.tap(phoneW/2, 40, 50*time.Millisecond)

		x, y := center(t, ctx, `#pad button[aria-label="Jump"]`)
		f.tap(x, y, 100*time.Millisecond)
		waitXev(t, logPath, "KeyPress", "keysym 0x20, space", 1)
		waitXev(t, logPath, "KeyRelease", "keysym 0x20, space", 1)

		x, y = center(t, ctx, `#pad button[aria-label="Fire"]`)
		f.tap(x, y, 100*time.Millisecond)
		waitXev(t, logPath, "KeyPress", "keysym 0x66, f", 1)
		waitXev(t, logPath, "KeyRelease", "keysym 0x66, f", 1)

		// The stick: land in its zone, drag right past the threshold, hold,
		// let go. The arrow key is held while the stick leans and released
		// with it; nothing else is pressed.
		x, y = center(t, ctx, `#pad .stick-zone`)
		f.send(input.DispatchTouchEventTypeTouchStart, pt(x, y, 2))
		for dx := 10.0; dx <= 90; dx += 10 {
			f.send(input.DispatchTouchEventTypeTouchMove, pt(x+dx, y, 2))
			time.Sleep(10 * time.Millisecond)
		}
		waitXev(t, logPath, "KeyPress", "keysym 0xff53, Right", 1)
		b, _ := os.ReadFile(logPath)
		if n := xevEvents(string(b), "KeyRelease", "keysym 0xff53, Right"); n != 0 {
			t.Errorf("Right released while the stick still leans right:\n%s", b)
		}
		f.send(input.DispatchTouchEventTypeTouchEnd)
		waitXev(t, logPath, "KeyRelease", "keysym 0xff53, Right", 1)
		b, _ = os.ReadFile(logPath)
		log := string(b)
		if n := xevEvents(log, "KeyPress", "keysym 0xff53, Right"); n != 1 {
			t.Errorf("Right pressed %d times for one push of the stick, want 1:\n%s", n, log)
		}
		for _, other := range []string{"Left", "Up", "Down"} {
			if xevEvents(log, "KeyPress", ", "+other+")") > 0 {
				t.Errorf("a push to the right pressed %s:\n%s", other, log)
			}
		}
		leave(t, ctx, s, locksBefore)
	})

	t.Run("pointer layout: a tap is a click where the finger is", func(t *testing.T) {
		ctx := newPhone(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/play?title=touchmouse")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.framesPresented > 10 && stratus.touchLayout === "pointer"`,
			"touchmouse to play with its touch profile", 30*time.Second)
		if !eval[bool](t, ctx, `document.getElementById("pad").hidden && document.querySelectorAll("#pad *").length === 0`) {
			t.Fatal("on-screen controls shown for the pointer layout")
		}
		session := eval[string](t, ctx, `stratus.session`)
		logPath := filepath.Join(s.runDir, "logs", session+".log")
		f := finger{t, ctx}
		// The picture is 640×360 letterboxed into the phone's 844×390:
		// 693×390 wide, centred. A point a quarter in from its top left is
		// (160, 90) on the program's display.
		pw := 640.0 * phoneH / 360
		left := (phoneW - pw) / 2
		f.tap(left+pw/4, phoneH/4, 100*time.Millisecond)
		waitXev(t, logPath, "ButtonPress", "button 1,", 1)
		waitXev(t, logPath, "ButtonRelease", "button 1,", 1)
		b, _ := os.ReadFile(logPath)
		if x, y, ok := pressedAt(string(b), "button 1,"); !ok || x < 158 || x > 162 || y < 88 || y > 92 {
			t.Errorf("the press is at (%d,%d), not where the finger was, (160,90) on the display:\n%s", x, y, b)
		}
		// A second finger while the first is down is the right button.
		f.send(input.DispatchTouchEventTypeTouchStart, pt(left+pw/2, phoneH/2, 1))
		time.Sleep(50 * time.Millisecond)
		f.send(input.DispatchTouchEventTypeTouchStart, pt(left+pw/2, phoneH/2, 1), pt(left+pw*3/4, phoneH/2, 2))
		time.Sleep(50 * time.Millisecond)
		// Lifting the first finger: a move listing only the one left (CDP
		// wants no points on a TouchEnd; it diffs the active points).
		f.send(input.DispatchTouchEventTypeTouchMove, pt(left+pw*3/4, phoneH/2, 2))
		time.Sleep(50 * time.Millisecond)
		f.send(input.DispatchTouchEventTypeTouchEnd)
		waitXev(t, logPath, "ButtonPress", "button 3,", 1)
		waitXev(t, logPath, "ButtonRelease", "button 3,", 1)
		waitXev(t, logPath, "ButtonRelease", "button 1,", 2)
		leave(t, ctx, s, locksBefore)
	})

	t.Run("built-in title without a profile: the default gamepad", func(t *testing.T) {
		ctx := newPhone(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/play?title=rocks")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.name === "Rocks"`, "rocks to play with its catalog entry", 30*time.Second)
		if got := eval[string](t, ctx, `stratus.touchLayout`); got != "default" {
			t.Errorf("touchLayout %q, want default", got)
		}
		if !eval[bool](t, ctx, `!document.getElementById("pad").hidden && document.querySelectorAll("#pad .stick-zone").length === 1`) {
			t.Error("rocks takes a gamepad but the page shows no on-screen pad with a stick")
		}
		if got := eval[[]string](t, ctx, buttonLabels); strings.Join(got, ",") != "Button Y,Button X,Button B,Button A,Start" {
			t.Errorf("on-screen buttons %q, want the default Y, X, B, A and Start", got)
		}
		leave(t, ctx, s, locksBefore)
	})

	t.Run("keyboard-only title without a profile: no pad", func(t *testing.T) {
		ctx := newPhone(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/play?title=keys")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, `window.stratus && stratus.state === "playing" && stratus.name === "Key Echo"`, "keys to play with its catalog entry", 30*time.Second)
		if !eval[bool](t, ctx, `document.getElementById("pad").hidden`) {
			t.Error("the on-screen pad shows for a title that reads no gamepad")
		}
		leave(t, ctx, s, locksBefore)
	})
}
