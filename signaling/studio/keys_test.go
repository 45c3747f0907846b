package studio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	os.WriteFile(path, []byte(`{"acme":["acme-key-0123456789","acme-key-rollover-1"],"rival":["rival-key-0123456789"]}`), 0o600)
	k, err := LoadKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"acme-key-0123456789": "acme", "acme-key-rollover-1": "acme", "rival-key-0123456789": "rival", "": "", "nope-nope-nope-nope": ""} {
		if got, ok := k.Studio(key); got != want || ok != (want != "") {
			t.Errorf("Studio(%q) = %q %v, want %q", key, got, ok, want)
		}
	}
	for _, e := range k.entries {
		if strings.Contains(string(e.hash[:]), "key") {
			t.Fatal("key kept in clear")
		}
	}
	_, err = NewKeys(map[string][]string{"a": {"short"}, "b c": {"long-enough-key-123"}, "d": {"same-key-0123456789"}, "e": {"same-key-0123456789"}})
	for _, want := range []string{"a[0] is shorter", `"b c"`, "also a key of d"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if bearer("bearer  tok ") != "tok" || bearer("Basic tok") != "" || bearer("Bearer") != "" {
		t.Error("bearer parsing")
	}
}

func TestConfig(t *testing.T) {
	err := Config{DevKey: "short"}.Validate()
	for _, want := range []string{"data dir", "dev key is shorter"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if err := (Config{}).Validate(); err == nil || !strings.Contains(err.Error(), "no keys") {
		t.Errorf("no keys: %v", err)
	}
	svc, err := New(Config{DataDir: t.TempDir(), DevKey: "dev-key-0123456789"}, testLog())
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if st, ok := svc.keys.Studio("dev-key-0123456789"); !ok || st != DevStudio {
		t.Fatalf("dev key: %q %v", st, ok)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	os.WriteFile(path, []byte(`{"acme":["dev-key-0123456789"]}`), 0o600)
	if _, err := New(Config{DataDir: t.TempDir(), KeysFile: path, DevKey: "dev-key-0123456789"}, testLog()); err == nil {
		t.Fatal("a key shared by the file and the dev key was accepted")
	}
}
