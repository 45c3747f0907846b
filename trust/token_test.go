package trust

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestEnsureTokenFileCreatesThenReuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "operator.token")
	tok, created, err := EnsureTokenFile(path)
	if err != nil || !created {
		t.Fatalf("first call: created %v, err %v", created, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if string(data) != string(tok)+"\n" || len(tok) != 2*TokenBytes {
		t.Errorf("file holds %q, token %q", data, tok)
	}
	again, created, err := EnsureTokenFile(path)
	if err != nil || created || again != tok {
		t.Errorf("second call: %q created %v err %v, want the first token, not created", again, created, err)
	}
}

func TestEnsureTokenFileRacers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "operator.token")
	const racers = 8
	toks := make([]Token, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, _, err := EnsureTokenFile(path)
			if err != nil {
				t.Error(err)
			}
			toks[i] = tok
		}()
	}
	wg.Wait()
	for _, tok := range toks[1:] {
		if tok != toks[0] {
			t.Fatalf("racers ended with different tokens: %q", toks)
		}
	}
}

func TestLoadTokenRefuses(t *testing.T) {
	good, _ := NewToken()
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string // in the error
	}{
		{"readable by group", string(good) + "\n", 0o640, "chmod 600"},
		{"readable by others", string(good) + "\n", 0o604, "chmod 600"},
		{"empty", "", 0o600, "want 64 hex digits"},
		{"short", string(good[:20]), 0o600, "want 64 hex digits"},
		{"not hex", strings.Repeat("z", 64), 0o600, "not hex"},
		{"two tokens", string(good) + "\n" + string(good) + "\n", 0o600, "want 64 hex digits"},
		{"huge", strings.Repeat("0", 1<<20), 0o600, "is over 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "operator.token")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			// WriteFile's mode is cut by the umask; Chmod is not.
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := LoadToken(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadToken: %v, want an error with %q", err, tt.want)
			}
			if _, _, err := EnsureTokenFile(path); err == nil {
				t.Fatal("EnsureTokenFile used a file LoadToken refuses")
			}
		})
	}
}

func TestLoadTokenRefusesADirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadToken(dir); err == nil {
		t.Fatal("a directory was taken for a token file")
	}
}

func TestTokenEqual(t *testing.T) {
	tok, _ := NewToken()
	other, _ := NewToken()
	tests := []struct {
		name  string
		tok   Token
		given string
		want  bool
	}{
		{"same", tok, string(tok), true},
		{"other", tok, string(other), false},
		{"prefix", tok, string(tok[:32]), false},
		{"longer", tok, string(tok) + "0", false},
		{"upper case", tok, strings.ToUpper(string(tok)), strings.ToUpper(string(tok)) == string(tok)},
		{"empty given", tok, "", false},
		{"empty configured, empty given", "", "", false},
		{"empty configured", "", string(tok), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tok.Equal(tt.given); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
		})
	}
}
