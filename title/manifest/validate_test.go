package manifest

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// valid returns a process manifest that passes Validate, for cases to break
// one field at a time.
func valid() Manifest {
	return Manifest{
		ID: "gears", Name: "Gears", Version: "1.2.3", Runtime: RuntimeProcess,
		Command: "bin/game", Args: []string{"-fast"}, Env: map[string]string{"GAME_MODE": "1"},
		Width: 1280, Height: 720, FPS: 60,
		Input: Input{Keyboard: true, Touch: Touch{Layout: LayoutGamepad, Stick: StickArrows,
			Buttons: []TouchButton{{Label: "Fire", Key: "Space"}, {Label: "Jump", Key: "Up"}, {Label: "Go", Key: "Enter"}}}},
		SessionLimit: "30m",
		GPU:          GPU{Required: true, MinMemoryMiB: 512, NVENC: true},
		Regions:      []string{"eu-west"},
	}
}

func TestValidateValid(t *testing.T) {
	cases := map[string]func(*Manifest){
		"as is":            func(*Manifest) {},
		"prerelease":       func(m *Manifest) { m.Version = "0.10.0-beta.1" },
		"no limit":         func(m *Manifest) { m.SessionLimit = "" },
		"limits of size":   func(m *Manifest) { m.Width, m.Height, m.FPS = 3840, 2160, 240 },
		"smallest":         func(m *Manifest) { m.Width, m.Height, m.FPS = 320, 240, 1 },
		"keeps framerate":  func(m *Manifest) { m.Keep = "framerate" },
		"keeps resolution": func(m *Manifest) { m.Keep = "resolution" },
		"workdir":          func(m *Manifest) { m.Workdir = "share/data" },
		"pointer touch":    func(m *Manifest) { m.Input = Input{Mouse: true, Touch: Touch{Layout: LayoutPointer}} },
		"touch only":       func(m *Manifest) { m.Input = Input{Touch: Touch{Layout: LayoutPointer}} },
		"pad buttons": func(m *Manifest) {
			m.Input = Input{Gamepad: true, Touch: Touch{Layout: LayoutGamepad, Stick: StickGamepad, Buttons: []TouchButton{{Label: "A", Pad: "A"}}}}
		},
		"no gpu":  func(m *Manifest) { m.GPU = GPU{} },
		"renders": func(m *Manifest) { m.GPU = GPU{Render: []string{RenderOpenGL, RenderVulkan}, Fallback: FallbackRefuse} },
		"renders on a gpu only": func(m *Manifest) {
			m.GPU = GPU{Required: true, Render: []string{RenderVulkan}, Fallback: FallbackRefuse}
		},
		"PATH allowed": func(m *Manifest) { m.Env = map[string]string{"PATH": "/usr/bin", "_X1": ""} },
		"builtin": func(m *Manifest) {
			*m = Manifest{ID: "rocks", Name: "Rocks", Version: "1.0.0", Runtime: RuntimeBuiltin, Input: Input{Keyboard: true}}
		},
		"builtin with fps": func(m *Manifest) { m.Command, m.Args, m.Env, m.Runtime = "", nil, nil, RuntimeBuiltin },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			m := valid()
			change(&m)
			if err := m.Validate(); err != nil {
				t.Errorf("Validate:\n%v", err)
			}
		})
	}
}

func TestValidateInvalid(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Manifest)
		field  string // the one field path reported
		want   string // part of the problem text
	}{
		{"id missing", func(m *Manifest) { m.ID = "" }, "id", "required"},
		{"id short", func(m *Manifest) { m.ID = "ab" }, "id", "want 3 to 40"},
		{"id long", func(m *Manifest) { m.ID = strings.Repeat("a", 41) }, "id", "want 3 to 40"},
		{"id upper", func(m *Manifest) { m.ID = "Gears" }, "id", "lowercase"},
		{"id dash", func(m *Manifest) { m.ID = "-gears" }, "id", "lowercase"},
		{"name missing", func(m *Manifest) { m.Name = "  " }, "name", "required"},
		{"name control", func(m *Manifest) { m.Name = "a\nb" }, "name", "control"},
		{"name long", func(m *Manifest) { m.Name = strings.Repeat("é", 81) }, "name", "longer than 80"},
		{"version missing", func(m *Manifest) { m.Version = "" }, "version", "required"},
		{"version two parts", func(m *Manifest) { m.Version = "1.2" }, "version", "MAJOR.MINOR.PATCH"},
		{"version leading zero", func(m *Manifest) { m.Version = "1.02.3" }, "version", "MAJOR.MINOR.PATCH"},
		{"version v", func(m *Manifest) { m.Version = "v1.2.3" }, "version", "MAJOR.MINOR.PATCH"},
		{"version empty pre", func(m *Manifest) { m.Version = "1.2.3-" }, "version", "MAJOR.MINOR.PATCH"},
		{"runtime missing", func(m *Manifest) { m.Runtime = "" }, "runtime", "required"},
		{"runtime unknown", func(m *Manifest) { m.Runtime = "wasm" }, "runtime", `unknown runtime "wasm" (want builtin or process)`},
		{"process no command", func(m *Manifest) { m.Command = "" }, "command", "required with runtime process"},
		{"command absolute", func(m *Manifest) { m.Command = "/bin/sh" }, "command", "absolute"},
		{"command dotdot", func(m *Manifest) { m.Command = "../../bin/sh" }, "command", `".."`},
		{"command backslash", func(m *Manifest) { m.Command = `bin\game.exe` }, "command", "'/'"},
		{"workdir dotdot", func(m *Manifest) { m.Workdir = "a/../.." }, "workdir", `".."`},
		{"arg NUL", func(m *Manifest) { m.Args = []string{"ok", "a\x00b"} }, "args[1]", "NUL"},
		{"env name", func(m *Manifest) { m.Env = map[string]string{"1BAD": ""} }, `env["1BAD"]`, "not a valid variable name"},
		{"env dash", func(m *Manifest) { m.Env = map[string]string{"A-B": ""} }, `env["A-B"]`, "not a valid variable name"},
		{"env DISPLAY", func(m *Manifest) { m.Env = map[string]string{"DISPLAY": ":1"} }, `env["DISPLAY"]`, "set by the edge"},
		{"env PULSE", func(m *Manifest) { m.Env = map[string]string{"PULSE_SERVER": "x"} }, `env["PULSE_SERVER"]`, "PULSE_*"},
		{"env LD", func(m *Manifest) { m.Env = map[string]string{"LD_PRELOAD": "x.so"} }, `env["LD_PRELOAD"]`, "LD_*"},
		{"builtin command", func(m *Manifest) { m.Runtime, m.Args, m.Env = RuntimeBuiltin, nil, nil }, "command", "not allowed with runtime builtin"},
		{"builtin args", func(m *Manifest) { m.Runtime, m.Command, m.Env = RuntimeBuiltin, "", nil }, "args", "not allowed"},
		{"builtin env", func(m *Manifest) { m.Runtime, m.Command, m.Args = RuntimeBuiltin, "", nil }, "env", "not allowed"},
		{"builtin workdir", func(m *Manifest) { m.Runtime, m.Command, m.Args, m.Env, m.Workdir = RuntimeBuiltin, "", nil, nil, "x" }, "workdir", "not allowed"},
		{"width missing", func(m *Manifest) { m.Width = 0 }, "width", "required"},
		{"width small", func(m *Manifest) { m.Width = 318 }, "width", "out of range"},
		{"width odd", func(m *Manifest) { m.Width = 1281 }, "width", "odd"},
		{"height big", func(m *Manifest) { m.Height = 2162 }, "height", "out of range"},
		{"height odd", func(m *Manifest) { m.Height = 721 }, "height", "odd"},
		{"builtin negative width", func(m *Manifest) { m.Runtime, m.Command, m.Args, m.Env, m.Width = RuntimeBuiltin, "", nil, nil, -2 }, "width", "out of range"},
		{"fps missing", func(m *Manifest) { m.FPS = 0 }, "fps", "required"},
		{"fps high", func(m *Manifest) { m.FPS = 241 }, "fps", "out of range"},
		{"keep unknown", func(m *Manifest) { m.Keep = "quality" }, "keep", `want "framerate" or "resolution"`},
		{"keep capitalised", func(m *Manifest) { m.Keep = "Framerate" }, "keep", "want"},
		{"no input", func(m *Manifest) { m.Input = Input{} }, "input", "no input kind"},
		{"layout unknown", func(m *Manifest) { m.Input.Touch.Layout = "joystick" }, "input.touch.layout", `unknown layout "joystick"`},
		{"stick unknown", func(m *Manifest) { m.Input.Touch.Stick = "dpad" }, "input.touch.stick", `unknown stick "dpad"`},
		{"stick needs keyboard", func(m *Manifest) { m.Input.Keyboard, m.Input.Gamepad, m.Input.Touch.Buttons = false, true, nil }, "input.touch.stick", "input.keyboard is false"},
		{"stick needs gamepad", func(m *Manifest) { m.Input.Touch.Stick = StickGamepad }, "input.touch.stick", "input.gamepad is false"},
		{"stick without layout", func(m *Manifest) { m.Input.Touch.Layout, m.Input.Touch.Buttons = LayoutPointer, nil }, "input.touch.stick", "only used with layout"},
		{"buttons without layout", func(m *Manifest) { m.Input.Touch.Layout, m.Input.Touch.Stick = "", "" }, "input.touch.buttons", "only used with layout"},
		{"empty gamepad layout", func(m *Manifest) { m.Input.Touch.Stick, m.Input.Touch.Buttons = StickNone, nil }, "input.touch", "needs a stick or at least one button"},
		{"unknown key", func(m *Manifest) { m.Input.Touch.Buttons[2].Key = "Fooo" }, "input.touch.buttons[2].key", `unknown key "Fooo"`},
		{"key case hint", func(m *Manifest) { m.Input.Touch.Buttons[0].Key = "space" }, "input.touch.buttons[0].key", `(did you mean "Space"?)`},
		{"unknown pad", func(m *Manifest) {
			m.Input.Gamepad = true
			m.Input.Touch.Buttons[1] = TouchButton{Label: "P", Pad: "start"}
		}, "input.touch.buttons[1].pad", `unknown gamepad button "start" (did you mean "Start"?)`},
		{"pad needs gamepad", func(m *Manifest) { m.Input.Touch.Buttons[1] = TouchButton{Label: "P", Pad: "A"} }, "input.touch.buttons[1].pad", "input.gamepad is false"},
		{"key needs keyboard", func(m *Manifest) {
			m.Input.Keyboard, m.Input.Gamepad, m.Input.Touch.Stick = false, true, StickGamepad
			m.Input.Touch.Buttons = m.Input.Touch.Buttons[:1]
		}, "input.touch.buttons[0].key", "input.keyboard is false"},
		{"button neither", func(m *Manifest) { m.Input.Touch.Buttons[0].Key = "" }, "input.touch.buttons[0]", "needs key or pad"},
		{"button both", func(m *Manifest) { m.Input.Touch.Buttons[0].Pad = "A" }, "input.touch.buttons[0]", "both key and pad"},
		{"label missing", func(m *Manifest) { m.Input.Touch.Buttons[1].Label = "" }, "input.touch.buttons[1].label", "required"},
		{"label long", func(m *Manifest) { m.Input.Touch.Buttons[1].Label = "Thirteen char" }, "input.touch.buttons[1].label", "longer than 12"},
		{"label twice", func(m *Manifest) { m.Input.Touch.Buttons[2].Label = "Fire" }, "input.touch.buttons[2].label", "used by another button"},
		{"too many buttons", func(m *Manifest) {
			b := m.Input.Touch.Buttons
			for _, l := range []string{"4", "5", "6", "7", "8", "9"} {
				b = append(b, TouchButton{Label: l, Key: l})
			}
			m.Input.Touch.Buttons = b
		}, "input.touch.buttons", "at most 8"},
		{"limit syntax", func(m *Manifest) { m.SessionLimit = "30 minutes" }, "session_limit", "want a duration"},
		{"limit negative", func(m *Manifest) { m.SessionLimit = "-5m" }, "session_limit", "positive"},
		{"limit long", func(m *Manifest) { m.SessionLimit = "25h" }, "session_limit", "longer than"},
		{"gpu memory negative", func(m *Manifest) { m.GPU.MinMemoryMiB = -1 }, "gpu.min_memory_mib", "out of range"},
		{"gpu memory without gpu", func(m *Manifest) { m.GPU = GPU{MinMemoryMiB: 1} }, "gpu.min_memory_mib", "gpu.required is false"},
		{"nvenc without gpu", func(m *Manifest) { m.GPU = GPU{NVENC: true} }, "gpu.nvenc", "gpu.required is false"},
		{"render unknown", func(m *Manifest) { m.GPU.Render = []string{"directx"} }, "gpu.render[0]", "want"},
		{"render twice", func(m *Manifest) { m.GPU.Render = []string{"vulkan", "vulkan"} }, "gpu.render[1]", "twice"},
		{"fallback without render", func(m *Manifest) { m.GPU.Fallback = FallbackCPU }, "gpu.fallback", "gpu.render is empty"},
		{"fallback unknown", func(m *Manifest) { m.GPU = GPU{Render: []string{"opengl"}, Fallback: "wait"} }, "gpu.fallback", "want"},
		{"fallback cpu but required", func(m *Manifest) {
			m.GPU = GPU{Required: true, Render: []string{"opengl"}, Fallback: FallbackCPU}
		}, "gpu.fallback", "contradicts"},
		{"env picks the gl vendor", func(m *Manifest) { m.Env = map[string]string{"__GLX_VENDOR_LIBRARY_NAME": "nvidia"} }, `env["__GLX_VENDOR_LIBRARY_NAME"]`, "set by the edge"},
		{"env picks vulkan drivers", func(m *Manifest) { m.Env = map[string]string{"VK_DRIVER_FILES": "/x.json"} }, `env["VK_DRIVER_FILES"]`, "VK_*"},
		{"region bad", func(m *Manifest) { m.Regions = []string{"eu-west", "EU"} }, "regions[1]", "lowercase"},
		{"region twice", func(m *Manifest) { m.Regions = []string{"eu-west", "eu-west"} }, "regions[1]", "twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := valid()
			c.change(&m)
			err := m.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if len(ve.Problems) != 1 {
				t.Fatalf("want exactly one problem, got:\n%v", err)
			}
			p := ve.Problems[0]
			if p.Field != c.field || !strings.Contains(p.Problem, c.want) {
				t.Errorf("got %q, want field %q with a problem containing %q", p.Error(), c.field, c.want)
			}
		})
	}
}

func TestValidateReportsEverything(t *testing.T) {
	m := valid()
	m.ID = "X"
	m.Runtime = "wasm"
	m.Width = 1001
	m.Input.Touch.Buttons[2].Key = "Fooo"
	m.GPU.MinMemoryMiB = -3
	err := m.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v", err)
	}
	want := []string{"id", "runtime", "width", "input.touch.buttons[2].key", "gpu.min_memory_mib"}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.Field)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("fields = %v, want %v", got, want)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("Error() has %d lines, want %d:\n%v", len(lines), len(want), err)
	}
	for _, l := range []string{
		`runtime: unknown runtime "wasm" (want builtin or process)`,
		`input.touch.buttons[2].key: unknown key "Fooo"`,
	} {
		if !strings.Contains(err.Error(), l) {
			t.Errorf("Error() lacks %q:\n%v", l, err)
		}
	}
}

func TestValidateEnvOrderStable(t *testing.T) {
	m := valid()
	m.Env = map[string]string{"LD_A": "", "DISPLAY": "", "9X": "", "PULSE_B": ""}
	first := m.Validate().Error()
	for range 20 {
		if got := m.Validate().Error(); got != first {
			t.Fatalf("report changed between runs:\n%v\n---\n%v", first, got)
		}
	}
}

// A studio's upload may not claim runtime builtin, alone or among other
// problems, while the edge's own catalog still may; process manifests pass
// both.
func TestValidateStudio(t *testing.T) {
	builtinRocks := Manifest{ID: "rocks", Name: "Rocks", Version: "1.0.0", Runtime: RuntimeBuiltin, Input: Input{Keyboard: true}}
	cases := []struct {
		name      string
		m         Manifest
		edgeOK    bool
		studioErr []string // fields ValidateStudio must name; none: valid
	}{
		{"process", valid(), true, nil},
		{"builtin", builtinRocks, true, []string{"runtime"}},
		{"builtin and a bad name", func() Manifest { m := builtinRocks; m.Name = ""; return m }(), false, []string{"name", "runtime"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.m.Validate(); (err == nil) != c.edgeOK {
				t.Errorf("Validate: %v", err)
			}
			err := c.m.ValidateStudio()
			t.Logf("ValidateStudio(runtime %q): %v", c.m.Runtime, err)
			if len(c.studioErr) == 0 {
				if err != nil {
					t.Fatalf("ValidateStudio: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("ValidateStudio: %v, want a *ValidationError", err)
			}
			var fields []string
			for _, p := range ve.Problems {
				fields = append(fields, p.Field)
			}
			if !slices.Equal(fields, c.studioErr) {
				t.Errorf("fields %v, want %v", fields, c.studioErr)
			}
		})
	}
}
