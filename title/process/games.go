package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"stratus/input"
	"stratus/title"
	"stratus/title/manifest"
	"stratus/title/process/gfx"
	"stratus/title/process/pulse"
	"stratus/title/process/uinput"
)

// Games is the runtime as an edge uses it: each game also gets its sound
// from a PulseAudio server of its own session (package pulse), and its
// gamepads as virtual devices where the kernel offers them (package
// uinput). Safe for concurrent use.
type Games struct {
	rt  *Runtime
	log *slog.Logger
	// noPads says why games get no gamepads; checked once, since loading
	// the uinput module needs the operator.
	noPads error
}

// NewGames wraps rt.
func NewGames(rt *Runtime) *Games {
	g := &Games{rt: rt, log: rt.log, noPads: uinput.Available()}
	if g.noPads != nil {
		g.log.Warn("process titles get no gamepads", "why", g.noPads)
	}
	return g
}

// Available reports why process titles cannot run here, or nil.
func (g *Games) Available() error { return g.rt.Available() }

// Check reports whether the title in installDir can start.
func (g *Games) Check(installDir string, m manifest.Manifest) error { return g.rt.Check(installDir, m) }

// ProbeGraphics asks the drivers what the games can render with.
func (g *Games) ProbeGraphics(ctx context.Context, gpus []gfx.GPU) gfx.Report {
	return g.rt.ProbeGraphics(ctx, gpus)
}

// Close ends every game (the edge is exiting).
func (g *Games) Close() error { return g.rt.Close() }

// Kill ends every game at once (the edge is exiting now).
func (g *Games) Kill() { g.rt.Kill() }

// Start starts a title for one session: its sound server first, when the
// title has sound, so that the game finds it from its first moment. r is
// the graphics the edge chose; its Release runs when the game ends, or at
// once when it does not start.
func (g *Games) Start(session, installDir string, m manifest.Manifest, r gfx.Session) (title.Title, error) {
	gm := &game{log: g.log.With("session", session, "title", m.ID), release: r.Release}
	if err := validSession(session); err != nil {
		gm.Close()
		return nil, err
	}
	spec := Spec{Session: session, InstallDir: installDir, Manifest: m, Render: r}
	if m.Audio {
		if err := gm.startSound(filepath.Join(g.rt.dirs.tmp, session+".audio"), session); err != nil {
			gm.Close()
			return nil, fmt.Errorf("process: sound for %q: %w", m.ID, err)
		}
		spec.Env = gm.server.Env()
		spec.Sockets = []string{strings.TrimPrefix(gm.server.Addr(), "unix:")}
		spec.Secrets = []string{gm.server.CookiePath()}
	}
	if m.Input.Gamepad {
		if g.noPads == nil {
			spec.Gamepad = gm.pad
		} else {
			gm.log.Info("gamepad input is ignored", "why", g.noPads)
		}
	}
	inst, err := g.rt.Start(spec)
	if err != nil {
		gm.Close()
		return nil, err
	}
	gm.Instance = inst
	if gm.rec != nil {
		return &soundGame{gm}, nil
	}
	return gm, nil
}

// game is an Instance with the session's sound server and gamepads.
type game struct {
	*Instance
	log      *slog.Logger
	release  func()
	audioDir string
	server   *pulse.Server
	rec      *pulse.Recorder

	// pads are created at a pad's first event; only the session goroutine
	// (Input) touches them, and Close after it.
	pads    map[uint8]*uinput.Pad
	padErr  bool
	closeMu sync.Mutex
	closed  bool
}

func (gm *game) startSound(dir, session string) error {
	gm.audioDir = dir
	// The sandboxed game passes through to the server's socket; nothing
	// here is listed to it.
	if err := passDir(dir); err != nil {
		return err
	}
	srv, err := pulse.Start(pulse.ServerConfig{Dir: dir, Session: session, Log: gm.log})
	if err != nil {
		return err
	}
	gm.server = srv
	rec, err := pulse.Record(srv.Addr(), srv.CookiePath(), "", gm.log)
	if err != nil {
		return err
	}
	gm.rec = rec
	return nil
}

// pad forwards a gamepad event to that pad's virtual device, creating it
// on first use. A device that cannot be made is reported once.
func (gm *game) pad(ev input.Event) {
	if ev.Pad >= input.MaxPads {
		return // the session drops and counts these; never a device for one
	}
	p := gm.pads[ev.Pad]
	if p == nil {
		if gm.padErr {
			return
		}
		var err error
		if p, err = uinput.New("", int(ev.Pad)); err != nil {
			gm.padErr = true
			gm.log.Warn("gamepad input is ignored", "why", err)
			return
		}
		if gm.pads == nil {
			gm.pads = map[uint8]*uinput.Pad{}
		}
		gm.pads[ev.Pad] = p
	}
	if err := p.Apply(ev); err != nil {
		gm.log.Debug("gamepad event", "err", err)
	}
}

// Close ends the sound first, then the game and its devices: the sound
// server carries the session's marker too, so ending the game's processes
// would take it down under a recorder still reading. Safe twice.
func (gm *game) Close() error {
	gm.closeMu.Lock()
	defer gm.closeMu.Unlock()
	if gm.closed {
		return nil
	}
	gm.closed = true
	var errs []error
	if gm.rec != nil {
		errs = append(errs, gm.rec.Close())
	}
	if gm.server != nil {
		// An error here means the server had died on its own; the
		// game is over either way.
		if err := gm.server.Close(); err != nil {
			gm.log.Warn("sound server", "err", err)
		}
	}
	if gm.Instance != nil {
		errs = append(errs, gm.Instance.Close())
	}
	for _, p := range gm.pads {
		errs = append(errs, p.Close())
	}
	if gm.audioDir != "" {
		errs = append(errs, os.RemoveAll(gm.audioDir))
	}
	if gm.release != nil {
		gm.release()
	}
	return errors.Join(errs...)
}

// soundGame is a game with sound: a title.AudioSource too.
type soundGame struct{ *game }

// ReadAudio hands the session the game's latest sound; it never blocks.
func (s *soundGame) ReadAudio(pcm []int16) { s.rec.ReadAudio(pcm) }
