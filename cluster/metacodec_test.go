package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func fullMeta() Meta {
	return Meta{
		Role:     RoleEdge,
		Region:   "eu-west",
		Location: Location{Lat: 53.35, Lon: -6.26},
		API:      "https://edge-7.eu-west.example.net:8443/api?x=<1>&y=2",
		Media:    "203.0.113.7:3478",
		Probe:    "https://edge-7.eu-west.example.net:8443/v1/probe",
		Capacity: 16,
		Free:     5,
		Load:     0.4375,
		Health:   HealthDraining,
		Titles:   []string{"rocks", "testpattern"},
		GPU:      GPUSummary{Count: 2, Model: "NVIDIA L4", NVENC: 2, FreeEncoders: 7},
		Regions:  []string{"eu-west"},
		Version:  1764000000123,
	}
}

func TestMetaRoundTrip(t *testing.T) {
	for _, m := range []Meta{{}, fullMeta(), {Role: RoleSignal, Regions: []string{"eu", "us"}, Health: HealthOK}} {
		b, err := m.Encode()
		if err != nil {
			t.Fatalf("Encode(%+v): %v", m, err)
		}
		if len(b) > MaxMetaSize || b[0] != metaFormatV1 || b[1] != 0 {
			t.Fatalf("encoded %d bytes, header % x", len(b), b[:2])
		}
		got, err := DecodeMeta(b)
		if err != nil {
			t.Fatalf("DecodeMeta: %v", err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
		}
	}
	// URLs keep their '<', '>' and '&' unescaped: they cost bytes.
	b, _ := fullMeta().Encode()
	if !bytes.Contains(b, []byte("<1>&y")) {
		t.Errorf("HTML-escaped: %s", b[2:])
	}
}

func TestMetaLeavingFlagIgnoredByDecode(t *testing.T) {
	m := fullMeta()
	b, err := m.encode(metaFlagLeaving|0x80, nil) // 0x80: a flag from the future
	if err != nil {
		t.Fatal(err)
	}
	w, err := parseWire(b)
	if err != nil || !reflect.DeepEqual(w.meta, m) || w.flags&metaFlagLeaving == 0 {
		t.Fatalf("parseWire = %+v, %v", w, err)
	}
	if got, err := DecodeMeta(b); err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("DecodeMeta = %+v, %v", got, err)
	}
}

func manyTitles(n int) []string {
	t := make([]string, n)
	for i := range t {
		t[i] = fmt.Sprintf("studio-title-%03d", n-i)
	}
	return t
}

func TestMetaOversizedTitlesBecomeDigest(t *testing.T) {
	m := fullMeta()
	m.Titles = manyTitles(60)
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxMetaSize {
		t.Fatalf("%d bytes", len(b))
	}
	got, err := DecodeMeta(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Titles != nil || got.TitlesDigest == "" || got.TitlesDigest != TitlesDigest(m.Titles) {
		t.Errorf("titles %v digest %q", got.Titles, got.TitlesDigest)
	}
	if len(m.Titles) != 60 || m.Titles[0] != "studio-title-060" {
		t.Error("Encode modified the caller's titles")
	}
	got.Titles, got.TitlesDigest = m.Titles, ""
	if !reflect.DeepEqual(got, m) {
		t.Errorf("other fields changed:\n got %+v\nwant %+v", got, m)
	}
}

func TestTitlesDigest(t *testing.T) {
	a := TitlesDigest([]string{"rocks", "testpattern", "chess"})
	if b := TitlesDigest([]string{"chess", "rocks", "testpattern"}); a != b {
		t.Errorf("order matters: %s vs %s", a, b)
	}
	if b := TitlesDigest([]string{"chess", "rocks"}); a == b {
		t.Error("different lists, same digest")
	}
	if b := TitlesDigest([]string{"ab", "c"}); b == TitlesDigest([]string{"a", "bc"}) {
		t.Error("concatenation ambiguity")
	}
	if len(a) != 16 {
		t.Errorf("digest %q", a)
	}
}

func TestMetaTooLarge(t *testing.T) {
	m := fullMeta()
	m.API = "https://" + strings.Repeat("a", 600)
	if _, err := m.Encode(); !errors.Is(err, ErrMetaTooLarge) {
		t.Errorf("err = %v", err)
	}
	m.Titles = manyTitles(40)
	_, err := m.Encode()
	if !errors.Is(err, ErrMetaTooLarge) || !strings.Contains(err.Error(), "digest") {
		t.Errorf("with titles: err = %v", err)
	}
	m = fullMeta()
	m.Load = nanFloat()
	if _, err := m.Encode(); err == nil || errors.Is(err, ErrMetaTooLarge) {
		t.Errorf("NaN load: err = %v", err)
	}
}

func nanFloat() float64 {
	zero := 0.0
	return zero / zero
}

func TestDecodeMetaErrors(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{nil, "no metadata"},
		{[]byte{1}, "truncated"},
		{[]byte("{\"r\":\"edge\"}"), "format 123 not understood"},
		{[]byte("\x03\x00{}"), "format 3 not understood"},
		{[]byte("\x02\x00{}"), "shorter than its 162-byte frame"},
		{[]byte("\x01\x00{\"r\":"), "metadata body"},
		{[]byte("\x01\x00{\"c\":\"many\"}"), "metadata body"},
		{[]byte("\x01\x00{} {}"), "metadata body"},
		{append([]byte("\x01\x00"), bytes.Repeat([]byte(" "), MaxMetaSize)...), "exceeds"},
	} {
		_, err := DecodeMeta(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeMeta(%q) = %v, want an error with %q", tc.in, err, tc.want)
		}
	}
	// Unknown fields are a newer release's additions, not errors.
	m, err := DecodeMeta([]byte("\x01\x00{\"r\":\"edge\",\"zz\":[1,2]}"))
	if err != nil || m.Role != RoleEdge {
		t.Errorf("unknown field: %+v, %v", m, err)
	}
}

// FuzzDecodeMeta: no input panics, and whatever decodes re-encodes to a
// fixed point (Encode ∘ DecodeMeta is idempotent) within the size limit.
func FuzzDecodeMeta(f *testing.F) {
	for _, m := range []Meta{{}, fullMeta(), {Titles: manyTitles(60)}} {
		b, err := m.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x01\x01{\"t\":[\"a\",\"b\"],\"l\":{\"lat\":-0,\"lon\":1e308}}"))
	f.Add([]byte("\x01\x00{\"a\":\"\\u00e9\\ud800\",\"o\":1E2}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMeta(b)
		if err != nil {
			return
		}
		enc, err := m.Encode()
		if err != nil {
			// Re-encoding can grow past the limit (an invalid UTF-8 byte
			// becomes \ufffd); no other failure is acceptable.
			if !errors.Is(err, ErrMetaTooLarge) {
				t.Fatalf("Encode of a decoded meta: %v", err)
			}
			return
		}
		if len(enc) > MaxMetaSize {
			t.Fatalf("Encode returned %d bytes", len(enc))
		}
		m2, err := DecodeMeta(enc)
		if err != nil {
			t.Fatalf("re-decoding %q: %v", enc, err)
		}
		enc2, err := m2.Encode()
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("not a fixed point:\n%q\n%q (%v)", enc, enc2, err)
		}
	})
}
