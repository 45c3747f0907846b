package cluster

import (
	"encoding/hex"
	"testing"
)

// TestDeriveKeyNeverChanges pins the derived values: a release that
// derived others would split a cluster being upgraded.
func TestDeriveKeyNeverChanges(t *testing.T) {
	short := []byte("0123456789abcdef")
	zeros := make([]byte, 32)
	for _, tt := range []struct {
		name string
		key  []byte
		p    Purpose
		want string
	}{
		{"resume, 16-byte key", short, PurposeResume, "0bd8ecb8018a37db817bad8c1aec86cf1997a8b7c161e28300ea1c86c4563cd0"},
		{"resume, 32-byte key", zeros, PurposeResume, "7ef5088be10b6263ad12fc650f33edd4ce94869d370f0f14c3aa6101fe98ff33"},
		{"catalog, 16-byte key", short, PurposeCatalog, "9f408adcbef6eaaa299c05234b88aa3622cc9e85081510f7d45359c3ac93b8f6"},
		{"catalog, 32-byte key", zeros, PurposeCatalog, "5cdb868d8eaffa169d9974afc9113acd1da2621ef1c2574b8b860c096b4ace6d"},
		{"turn, 32-byte key", zeros, PurposeTURN, "c21840c70eba1b18193356a789b1dc0cbab5bb7d33f2f2cf6b1410194b4ba9e2"},
		{"resume, no key", nil, PurposeResume, ""},
		{"catalog, no key", nil, PurposeCatalog, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := hex.EncodeToString(DeriveKey(tt.key, tt.p)); got != tt.want {
				t.Errorf("DeriveKey = %s, want %s", got, tt.want)
			}
			if got := DeriveToken(tt.key, tt.p); got != tt.want {
				t.Errorf("DeriveToken = %s, want %s", got, tt.want)
			}
		})
	}
}
