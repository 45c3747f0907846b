package web

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"stratus/edge/api"
	"stratus/input"
	"stratus/signaling"
)

// TestJS runs the unit tests of the page's modules (jstest/*.test.js) with
// Node's built-in test runner, so `go test` covers them. package.json
// makes Node load static/js as ES modules; the tests live outside static,
// so players are never served them.
func TestJS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	ver, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	// node:test and --test-reporter need Node 20.
	major := 0
	if m := regexp.MustCompile(`^v(\d+)\.`).FindSubmatch(ver); m != nil {
		major, _ = strconv.Atoi(string(m[1]))
	}
	if major < 20 {
		t.Skipf("node %s: the tests need Node 20 or later", strings.TrimSpace(string(ver)))
	}
	files, err := filepath.Glob(filepath.Join("jstest", "*.test.js"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no tests in jstest (%v)", err)
	}
	args := append([]string{"--test", "--test-reporter=spec"}, files...)
	out, err := exec.Command(node, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// TestCodesMatchGo checks that static/js/codes.js lists exactly the error
// codes of edge/api, and words only codes it lists.
func TestCodesMatchGo(t *testing.T) {
	node, dir := nodeModules(t, "codes")
	out := runNode(t, node, dir, `
import { CODES, WORDS } from './codes.mjs';
console.log(JSON.stringify({ codes: Object.values(CODES), words: Object.keys(WORDS) }));
`)
	var got struct{ Codes, Words []string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	var want []string
	for _, c := range api.Codes() {
		want = append(want, c.Code)
	}
	if !sameSet(got.Codes, want) {
		t.Errorf("codes.js lists %q, edge/api %q", got.Codes, want)
	}
	for _, w := range got.Words {
		if !slices.Contains(want, w) {
			t.Errorf("codes.js words %q, which is not a code of edge/api", w)
		}
	}
}

// TestStandbyMatchesGo checks static/js/standby.js's messages against
// input's standby messages.
func TestStandbyMatchesGo(t *testing.T) {
	node, dir := nodeModules(t, "standby", "proto")
	src, err := os.ReadFile(filepath.Join(dir, "standby.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	// The module imports proto.js; under test it is proto.mjs.
	fixed := strings.ReplaceAll(string(src), "'./proto.js'", "'./proto.mjs'")
	if err := os.WriteFile(filepath.Join(dir, "standby.mjs"), []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runNode(t, node, dir, `
import { STANDBY } from './standby.mjs';
console.log(JSON.stringify(Object.values(STANDBY)));
`)
	var got []string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	if want := []string{input.StandbyState, input.StandbyKeep, input.StandbyActivate}; !sameSet(got, want) {
		t.Errorf("standby.js types %q, input %q", got, want)
	}
}

// TestControlMatchesGo checks static/js/control.js against input's control
// messages: the same types, and stats fields that input.EdgeStats has.
func TestControlMatchesGo(t *testing.T) {
	node, dir := nodeModules(t, "control")
	out := runNode(t, node, dir, `
import { CONTROL, STATS_FIELDS } from './control.mjs';
console.log(JSON.stringify({ types: Object.values(CONTROL), fields: STATS_FIELDS }));
`)
	var got struct{ Types, Fields []string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	want := []string{input.ControlSnapshot, input.ControlMove, input.ControlEnded, input.ControlStats, input.ControlActivated, input.ControlRefused}
	if !sameSet(got.Types, want) {
		t.Errorf("control.js types %q, input %q", got.Types, want)
	}
	var fields []string
	st := reflect.TypeFor[input.EdgeStats]()
	for i := range st.NumField() {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		fields = append(fields, name)
	}
	for _, f := range got.Fields {
		if !slices.Contains(fields, f) {
			t.Errorf("control.js reads stats field %q; input.EdgeStats has %q", f, fields)
		}
	}
}

// sameSet: a and b hold the same strings, each once.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b) && len(slices.Compact(a)) == len(b)
}

// TestQueuedMatchesGo checks that static/js/queue.js reads the place in
// line from a "queued" message as package signaling writes it.
func TestQueuedMatchesGo(t *testing.T) {
	node, dir := nodeModules(t, "queue")
	for _, pos := range []int{1, 2, 200} {
		ahead := pos - 1
		msg, err := json.Marshal(signaling.Message{Type: signaling.TypeQueued, Title: "rocks", Position: pos, Ahead: &ahead})
		if err != nil {
			t.Fatal(err)
		}
		out := runNode(t, node, dir, `
import { QUEUED, place } from './queue.mjs';
console.log(JSON.stringify({ type: QUEUED, place: place(`+string(msg)+`) }));
`)
		var got struct {
			Type  string
			Place *struct{ Position, Ahead int }
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("node output %q: %v", out, err)
		}
		if got.Type != signaling.TypeQueued || got.Place == nil || got.Place.Position != pos || got.Place.Ahead != ahead {
			t.Errorf("queue.js read %s as %+v (type %q), want position %d, ahead %d", msg, got.Place, got.Type, pos, ahead)
		}
	}
}
