package machine

import "testing"

func TestShellJoin(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"-frames", "600"}, "-frames 600"},
		{[]string{"a b", ""}, "'a b' ''"},
		{[]string{"it's"}, `'it'\''s'`},
	}
	for _, tt := range tests {
		if got := ShellJoin(tt.in); got != tt.want {
			t.Errorf("ShellJoin(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	if CPUModel() == "" || LoadAverage() == "" {
		t.Error("empty machine description")
	}
}
