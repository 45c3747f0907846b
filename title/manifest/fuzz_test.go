package manifest

import (
	"os"
	"testing"
)

// FuzzParse checks that no input makes Parse or Validate panic, and that a
// manifest Validate accepts always lists at least one input kind.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("testdata/example.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"id":"rocks","name":"Rocks","version":"1.0.0","runtime":"builtin","input":{"keyboard":true}}`))
	f.Add([]byte(`{"input":{"touch":{"layout":"gamepad","buttons":[{"label":"A","key":"Fooo"}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		if m.Validate() == nil && len(m.Inputs()) == 0 {
			t.Errorf("valid manifest with no input kinds: %s", data)
		}
	})
}
