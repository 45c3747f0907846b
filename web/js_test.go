package web

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"stratus/edge/api"
	"stratus/input"
)

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
	want := []string{input.ControlSnapshot, input.ControlMove, input.ControlEnded, input.ControlStats}
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
