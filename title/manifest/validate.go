package manifest

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"stratus/title"
)

// Limits of the picture: what the encoders and the page handle. Even sizes
// because H.264 with 4:2:0 chroma needs them.
const (
	minWidth, maxWidth   = 320, 3840
	minHeight, maxHeight = 240, 2160
	maxFPS               = 240
	maxNameLen           = 80
	maxSessionLimit      = 24 * time.Hour
	maxGPUMemoryMiB      = 1 << 20 // 1 TiB: anything above is a typo
)

// Validate checks the manifest and returns a *ValidationError listing every
// problem, or nil.
func (m Manifest) Validate() error {
	return m.check(false).err()
}

// ValidateStudio is Validate for a manifest a studio uploads: on top of
// Validate's rules, runtime builtin is refused, since a builtin title is
// code shipped inside the edge, and a studio naming that runtime could only
// be borrowing, or shadowing, something it did not make. Edges keep using
// Validate, which still accepts builtin in their own catalogs.
func (m Manifest) ValidateStudio() error {
	return m.check(true).err()
}

// check collects the problems in field order; fromStudio adds the rules
// for uploads (see ValidateStudio).
func (m Manifest) check(fromStudio bool) problems {
	var p problems
	checkID(&p, m.ID)
	checkName(&p, m.Name)
	checkVersion(&p, m.Version)
	checkRuntime(&p, m, fromStudio)
	checkPicture(&p, m)
	checkInput(&p, m.Input)
	checkSessionLimit(&p, m.SessionLimit)
	checkGPU(&p, m.GPU)
	checkRegions(&p, m.Regions)
	return p
}

// isSlug reports whether s is lowercase letters, digits and inner '-', the
// form of ids and region names: safe in URLs and file names alike.
func isSlug(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func checkID(p *problems, id string) {
	switch {
	case id == "":
		p.add("id", "required")
	case len(id) < 3 || len(id) > 40:
		p.add("id", fmt.Sprintf("%q is %d characters (want 3 to 40)", id, len(id)))
	case !isSlug(id):
		p.add("id", fmt.Sprintf("%q: want lowercase letters, digits and '-' (not first or last)", id))
	}
}

func checkName(p *problems, name string) {
	switch {
	case strings.TrimSpace(name) == "":
		p.add("name", "required")
	case !utf8.ValidString(name):
		p.add("name", "not valid UTF-8")
	case utf8.RuneCountInString(name) > maxNameLen:
		p.add("name", fmt.Sprintf("longer than %d characters", maxNameLen))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		p.add("name", "contains control characters")
	}
}

// checkVersion accepts MAJOR.MINOR.PATCH with an optional -prerelease of
// letters, digits, '.' and '-': enough to order builds, without the rest of
// semver (build metadata) that no one here would use.
func checkVersion(p *problems, v string) {
	if v == "" {
		p.add("version", "required")
		return
	}
	core, pre, hasPre := strings.Cut(v, "-")
	parts := strings.Split(core, ".")
	ok := len(parts) == 3
	for _, n := range parts {
		ok = ok && isNumber(n)
	}
	if hasPre {
		ok = ok && pre != "" && strings.Trim(pre, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == ""
	}
	if !ok {
		p.add("version", fmt.Sprintf("%q: want MAJOR.MINOR.PATCH such as \"1.2.3\"", v))
	}
}

// isNumber reports a non-empty decimal without leading zeros.
func isNumber(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	return strings.Trim(s, "0123456789") == ""
}

func checkRuntime(p *problems, m Manifest, fromStudio bool) {
	switch m.Runtime {
	case "":
		p.add("runtime", "required (builtin or process)")
	case RuntimeBuiltin:
		if fromStudio {
			p.add("runtime", "builtin is reserved for the titles shipped with the edge; studios use runtime process")
		}
		// A builtin title is code in the edge: nothing to start.
		if m.Command != "" {
			p.add("command", "not allowed with runtime builtin")
		}
		if len(m.Args) > 0 {
			p.add("args", "not allowed with runtime builtin")
		}
		if len(m.Env) > 0 {
			p.add("env", "not allowed with runtime builtin")
		}
		if m.Workdir != "" {
			p.add("workdir", "not allowed with runtime builtin")
		}
		if len(m.GPU.Render) > 0 {
			p.add("gpu.render", "not allowed with runtime builtin (built-in titles draw in the edge)")
		}
		if m.Network {
			p.add("network", "not allowed with runtime builtin")
		}
	case RuntimeProcess:
		if m.Command == "" {
			p.add("command", "required with runtime process")
		} else {
			checkRelPath(p, "command", m.Command)
		}
		if m.Workdir != "" {
			checkRelPath(p, "workdir", m.Workdir)
		}
		for i, a := range m.Args {
			if strings.IndexByte(a, 0) >= 0 {
				p.add(fmt.Sprintf("args[%d]", i), "contains a NUL byte")
			}
		}
		checkEnv(p, m.Env)
	default:
		p.add("runtime", fmt.Sprintf("unknown runtime %q (want builtin or process)", m.Runtime))
	}
}

// checkRelPath is the part of ResolveCommand's checks that needs no disk, so
// a catalog server can refuse a bad manifest before anything is installed.
func checkRelPath(p *problems, field, rel string) {
	switch {
	case strings.IndexByte(rel, 0) >= 0:
		p.add(field, "contains a NUL byte")
	case strings.Contains(rel, `\`):
		p.add(field, fmt.Sprintf("%q: use '/' to separate directories", rel))
	case path.IsAbs(rel):
		p.add(field, fmt.Sprintf("%q is absolute (want a path relative to the install directory)", rel))
	case hasDotDot(rel):
		p.add(field, fmt.Sprintf("%q: must not contain \"..\"", rel))
	}
}

// hasDotDot reports a ".." element in a slash-separated path. Such paths are
// refused even when they would stay inside, since they only ever serve to
// climb out.
func hasDotDot(rel string) bool {
	for _, e := range strings.Split(rel, "/") {
		if e == ".." {
			return true
		}
	}
	return false
}

// Environment the edge sets for every process title: the virtual display and
// its X authority, the audio server, the dynamic loader (the capture
// hooks), and the graphics driver and GPU chosen for the session (the GLX
// vendor, Vulkan's drivers and layers, the edge's own STRATUS_ markers). A
// title overriding them would lose its picture or sound, load code the
// edge did not choose, or render on a GPU placement did not give it.
var (
	reservedEnv = [...]string{"DISPLAY", "XAUTHORITY", "__GLX_VENDOR_LIBRARY_NAME",
		"__EGL_VENDOR_LIBRARY_FILENAMES", "__EGL_VENDOR_LIBRARY_DIRS", "LIBGL_DRIVERS_PATH"}
	reservedEnvPrefixes = [...]string{"PULSE_", "LD_", "VK_", "STRATUS_"}
)

func checkEnv(p *problems, env map[string]string) {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys) // so the report is the same every run
	for _, k := range keys {
		field := fmt.Sprintf("env[%q]", k)
		if !isEnvName(k) {
			p.add(field, "not a valid variable name (want letters, digits and '_', not starting with a digit)")
			continue
		}
		if reason := reserved(k); reason != "" {
			p.add(field, reason)
		}
		if strings.IndexByte(env[k], 0) >= 0 {
			p.add(field, "value contains a NUL byte")
		}
	}
}

func isEnvName(k string) bool {
	if k == "" || k[0] >= '0' && k[0] <= '9' {
		return false
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func reserved(k string) string {
	for _, r := range reservedEnv {
		if k == r {
			return "set by the edge; a title may not override it"
		}
	}
	for _, pre := range reservedEnvPrefixes {
		if strings.HasPrefix(k, pre) {
			return fmt.Sprintf("%s* is set by the edge; a title may not override it", pre)
		}
	}
	return ""
}

func checkPicture(p *problems, m Manifest) {
	// A builtin title knows its own size and rate; 0 keeps them.
	optional := m.Runtime == RuntimeBuiltin
	checkSize(p, "width", m.Width, minWidth, maxWidth, optional)
	checkSize(p, "height", m.Height, minHeight, maxHeight, optional)
	switch {
	case m.FPS == 0 && !optional:
		p.add("fps", "required")
	case m.FPS < 0 || m.FPS > maxFPS:
		p.add("fps", fmt.Sprintf("%d out of range (want 1 to %d)", m.FPS, maxFPS))
	}
	if k := title.Keep(m.Keep); !k.Valid() || k == title.KeepAll {
		p.add("keep", fmt.Sprintf("%q: want %q or %q", m.Keep, title.KeepFramerate, title.KeepResolution))
	}
}

func checkSize(p *problems, field string, v, lo, hi int, optional bool) {
	switch {
	case v == 0 && optional:
	case v == 0:
		p.add(field, "required")
	case v < lo || v > hi:
		p.add(field, fmt.Sprintf("%d out of range (want %d to %d)", v, lo, hi))
	case v%2 != 0:
		p.add(field, fmt.Sprintf("%d is odd (H.264 needs even sizes)", v))
	}
}

func checkSessionLimit(p *problems, s string) {
	if s == "" {
		return
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		p.add("session_limit", fmt.Sprintf("%q: want a duration such as \"30m\" or \"1h30m\"", s))
	case d <= 0:
		p.add("session_limit", fmt.Sprintf("%q: must be positive (leave it out for no limit)", s))
	case d > maxSessionLimit:
		p.add("session_limit", fmt.Sprintf("%q: longer than %v", s, maxSessionLimit))
	}
}

func checkGPU(p *problems, g GPU) {
	switch {
	case g.MinMemoryMiB < 0 || g.MinMemoryMiB > maxGPUMemoryMiB:
		p.add("gpu.min_memory_mib", fmt.Sprintf("%d out of range (want 0 to %d)", g.MinMemoryMiB, maxGPUMemoryMiB))
	case g.MinMemoryMiB > 0 && !g.Required:
		p.add("gpu.min_memory_mib", "set but gpu.required is false")
	}
	// NVENC is a GPU engine, so asking for it without a GPU is a mistake
	// worth pointing out rather than quietly implying.
	if g.NVENC && !g.Required {
		p.add("gpu.nvenc", "true but gpu.required is false")
	}
	seen := map[string]bool{}
	for i, api := range g.Render {
		field := fmt.Sprintf("gpu.render[%d]", i)
		switch {
		case api != RenderOpenGL && api != RenderVulkan:
			p.add(field, fmt.Sprintf("%q: want %q or %q", api, RenderOpenGL, RenderVulkan))
		case seen[api]:
			p.add(field, fmt.Sprintf("%q listed twice", api))
		}
		seen[api] = true
	}
	switch {
	case g.Fallback == "":
	case len(g.Render) == 0:
		p.add("gpu.fallback", "set but gpu.render is empty")
	case g.Fallback != FallbackCPU && g.Fallback != FallbackRefuse:
		p.add("gpu.fallback", fmt.Sprintf("%q: want %q or %q", g.Fallback, FallbackCPU, FallbackRefuse))
	case g.Fallback == FallbackCPU && g.Required:
		p.add("gpu.fallback", `"cpu" contradicts gpu.required`)
	}
}

func checkRegions(p *problems, regions []string) {
	seen := make(map[string]bool, len(regions))
	for i, r := range regions {
		field := fmt.Sprintf("regions[%d]", i)
		switch {
		case !isSlug(r):
			p.add(field, fmt.Sprintf("%q: want lowercase letters, digits and '-'", r))
		case seen[r]:
			p.add(field, fmt.Sprintf("%q listed twice", r))
		}
		seen[r] = true
	}
}
