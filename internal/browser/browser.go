// Package browser starts headless Chromium for end-to-end tests and
// benchmark harnesses, with the flags that let it run as root on a machine
// without a display, GPU or internet.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"

	"github.com/chromedp/chromedp"
)

// ErrNoChromium is returned when no Chromium binary can be found.
var ErrNoChromium = errors.New("chromium not found (make test installs it)")

// Path finds the Chromium binary: $CHROMIUM, then the usual names.
func Path() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Version is the full version of the Chromium that New starts, for
// benchmark reports. The user agent would not do: it reads 156.0.0.0 since
// Chrome reduced it.
func Version(ctx context.Context) (string, error) {
	path, err := Path()
	if err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", path, err)
	}
	if v := regexp.MustCompile(`[0-9]+(\.[0-9]+){3}`).FindString(string(out)); v != "" {
		return v, nil
	}
	return strings.TrimSpace(string(out)), nil
}

// Wrap makes New start Chromium through a wrapper program: prefix is the
// wrapper and its arguments, Chromium's command line follows. A wrapper
// must exec Chromium in its own process (as `ip netns exec NAME` does, the
// way tests put a browser in a network namespace): chromedp talks to the
// browser over the pipes it inherits, and the kill on the test's death
// goes to the wrapper's pid.
func Wrap(prefix ...string) chromedp.ExecAllocatorOption {
	return chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
		if len(prefix) == 0 {
			return
		}
		path, err := exec.LookPath(prefix[0])
		if err != nil {
			cmd.Err = fmt.Errorf("browser: wrapper %s: %w", prefix[0], err)
			return
		}
		cmd.Path = path
		cmd.Args = append(slices.Clone(prefix), cmd.Args...)
		// What chromedp's own command function does: the browser dies with
		// the program that started it.
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = new(syscall.SysProcAttr)
		}
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	})
}

// New starts a headless Chromium and returns a chromedp context for one tab.
// Cancelling the returned function closes the browser and removes its
// profile.
func New(parent context.Context, extra ...chromedp.ExecAllocatorOption) (context.Context, context.CancelFunc, error) {
	path, err := Path()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "stratus-chromium-")
	if err != nil {
		return nil, nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Keep timers and rendering at full rate in a tab nobody looks at.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.WindowSize(1280, 800),
	}
	opts = append(opts, extra...)
	actx, acancel := chromedp.NewExecAllocator(parent, opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		acancel()
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return ctx, func() {
		cancel()
		acancel()
		os.RemoveAll(dir)
	}, nil
}
