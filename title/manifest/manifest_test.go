package manifest

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func loadExample(t *testing.T) Manifest {
	t.Helper()
	data, err := os.ReadFile("testdata/example.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestExampleValidates(t *testing.T) {
	m := loadExample(t)
	if err := m.Validate(); err != nil {
		t.Fatalf("example does not validate:\n%v", err)
	}
	if got, want := m.Inputs(), []string{"keyboard", "gamepad", "touch"}; !slices.Equal(got, want) {
		t.Errorf("Inputs() = %v, want %v", got, want)
	}
	if got := m.SessionDuration(); got != 30*time.Minute {
		t.Errorf("SessionDuration() = %v, want 30m", got)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"syntax", "{\n  \"id\": \"abc\",\n  \"name\" \"x\"\n}", "manifest 3:10: invalid character"},
		{"unknown field", "{\n  \"id\": \"abc\",\n  \"nmae\": \"x\"\n}", `manifest 3:3: unknown field "nmae"`},
		{"nested unknown field", `{"input": {"touch": {"layot": "none"}}}`, `unknown field "layot"`},
		{"type", "{\n  \"width\": \"wide\"\n}", "manifest 2:18: width: got JSON string, want int"},
		{"nested type", `{"input": {"keyboard": 1}}`, "input.keyboard: got JSON number, want bool"},
		{"empty", "", "manifest: empty input"},
		{"truncated", `{"id": "abc"`, "unexpected end of input"},
		{"trailing", `{"id": "abc"} {}`, "manifest 1:16: unexpected data after the top-level object"},
		{"not an object", `[1]`, "want manifest.Manifest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse(%q) error = %v, want it to contain %q", c.in, err, c.want)
			}
		})
	}
}

func TestInputs(t *testing.T) {
	var m Manifest
	if got := m.Inputs(); len(got) != 0 {
		t.Errorf("zero manifest Inputs() = %v, want none", got)
	}
	m.Input = Input{Mouse: true, Touch: Touch{Layout: LayoutPointer}}
	if got, want := m.Inputs(), []string{"mouse", "touch"}; !slices.Equal(got, want) {
		t.Errorf("Inputs() = %v, want %v", got, want)
	}
	m.Input.Touch.Layout = LayoutNone
	if got, want := m.Inputs(), []string{"mouse"}; !slices.Equal(got, want) {
		t.Errorf("Inputs() = %v, want %v", got, want)
	}
}

func TestKeyCodeAndPadButton(t *testing.T) {
	for name, want := range map[string]uint16{"Space": 32, "A": 65, "0": 48, "F1": 112, "F12": 123, "Left": 37, "Enter": 13} {
		if got, ok := KeyCode(name); !ok || got != want {
			t.Errorf("KeyCode(%q) = %d, %v, want %d", name, got, ok, want)
		}
	}
	for _, bad := range []string{"", "space", "key 200", "F13", "Fooo"} {
		if _, ok := KeyCode(bad); ok {
			t.Errorf("KeyCode(%q) accepted", bad)
		}
	}
	if b, ok := PadButton("Start"); !ok || b != 9 {
		t.Errorf("PadButton(Start) = %d, %v", b, ok)
	}
	if _, ok := PadButton("Z"); ok {
		t.Error("PadButton(Z) accepted")
	}
}

func TestValidationErrorIs(t *testing.T) {
	err := Manifest{}.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) == 0 {
		t.Fatalf("Validate of zero manifest = %v, want *ValidationError", err)
	}
}
