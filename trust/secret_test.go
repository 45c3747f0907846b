package trust

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode, size int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("k", size)), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode) // past the umask
		return p
	}
	tests := []struct {
		name, path, want string
	}{
		{"owner only", write("ok", 0o600, 32), ""},
		{"read-only owner", write("ro", 0o400, 32), ""},
		{"readable by others", write("world", 0o644, 32), "has mode 0644, readable by others than its owner; run chmod 600"},
		{"readable by the group", write("group", 0o640, 32), "has mode 0640"},
		{"too big", write("big", 0o600, 65), "over 64 bytes"},
		{"a directory", dir, "not a regular file"},
		{"missing", filepath.Join(dir, "none"), "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ReadSecret(tt.path, "cluster key", 64)
			switch {
			case tt.want == "" && (err != nil || len(b) != 32):
				t.Fatalf("ReadSecret = %d bytes, %v", len(b), err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "cluster key: ")):
				t.Fatalf("ReadSecret = %v, want %q", err, tt.want)
			}
		})
	}
}
