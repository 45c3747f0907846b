package cluster

import (
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := PoolConfig{
		Pool:          "lan/",
		Name:          "has space",
		BindAddr:      "localhost",
		BindPort:      70000,
		AdvertiseAddr: "not-an-ip",
		AdvertisePort: -1,
		Join:          []string{"127.0.0.1", "host:0", ":7946", "ok.example:7946"},
		Key:           []byte("short"),
		Profile:       "fast",
	}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		`pool "lan/": region is empty`,
		`node name "has space"`,
		`bind address "localhost"`,
		"bind port 70000",
		`advertise address "not-an-ip"`,
		"advertise port -1",
		`join address "127.0.0.1"`,
		`join address "host:0"`,
		`join address ":7946": host is empty`,
		"cluster key is 5 bytes",
		`profile "fast"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "ok.example") {
		t.Errorf("a good seed reported:\n%s", msg)
	}
	if n := len(strings.Split(msg, "\n")); n != 11 {
		t.Errorf("%d problems reported, want 11:\n%s", n, msg)
	}
}

func TestValidateCases(t *testing.T) {
	ok := PoolConfig{Pool: "lan/eu-west", Name: "edge-1", Key: testKey(1)}
	for _, tc := range []struct {
		name   string
		change func(*PoolConfig)
		want   string // "" = valid
	}{
		{"valid", func(*PoolConfig) {}, ""},
		{"wan", func(c *PoolConfig) { c.Pool = WANPool }, ""},
		{"dev without key", func(c *PoolConfig) { c.Key, c.Dev = nil, true }, ""},
		{"dev with key", func(c *PoolConfig) { c.Dev = true }, ""},
		{"no key", func(c *PoolConfig) { c.Key = nil }, "no cluster key"},
		{"empty pool", func(c *PoolConfig) { c.Pool = "" }, "pool is empty"},
		{"other pool", func(c *PoolConfig) { c.Pool = "eu" }, `want "lan/<region>" or "wan"`},
		{"nested region", func(c *PoolConfig) { c.Pool = "lan/eu/x" }, "'/'"},
		{"no name", func(c *PoolConfig) { c.Name = "" }, "node name \"\": is empty"},
		{"ipv6 seed", func(c *PoolConfig) { c.Join = []string{"[::1]:7946"} }, ""},
		{"advertise port alone", func(c *PoolConfig) { c.AdvertisePort = 7000 }, "without an advertise address"},
		{"advertise", func(c *PoolConfig) { c.AdvertiseAddr, c.AdvertisePort = "203.0.113.9", 7000 }, ""},
	} {
		c := ok
		tc.change(&c)
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestParseKey(t *testing.T) {
	for _, n := range []int{16, 24, 32} {
		raw := testKey(byte(n))[:n]
		s := base64.StdEncoding.EncodeToString(raw)
		got, err := ParseKey(" " + s + "\n")
		if err != nil || string(got) != string(raw) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	for in, want := range map[string]string{
		"":                      "empty",
		"not base64!":           "not standard base64",
		"c2hvcnQ=":              "decodes to 5 bytes",
		strings.Repeat("A", 64): "decodes to 48 bytes",
	} {
		if _, err := ParseKey(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKey(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestProfiles(t *testing.T) {
	if p := (PoolConfig{Pool: "wan"}).profile(); p != ProfileWAN {
		t.Errorf("wan pool defaults to %q", p)
	}
	if p := (PoolConfig{Pool: "lan/eu"}).profile(); p != ProfileLAN {
		t.Errorf("lan pool defaults to %q", p)
	}
	if p := (PoolConfig{Pool: "lan/eu", Profile: ProfileLocal}).profile(); p != ProfileLocal {
		t.Errorf("explicit profile ignored: %q", p)
	}
	lan, _ := ProfileLAN.memberlistConfig()
	if lan.ProbeInterval != 500*time.Millisecond || lan.ProbeTimeout != 250*time.Millisecond ||
		lan.SuspicionMult != 3 || lan.GossipInterval != 100*time.Millisecond || lan.GossipNodes != 4 ||
		lan.RetransmitMult != 4 || lan.PushPullInterval != 15*time.Second || lan.EnableCompression {
		t.Errorf("lan profile: %+v", lan)
	}
	if got := ProfileLAN.Settings(); !strings.Contains(got, "ProbeInterval 500ms") || !strings.Contains(got, "compression off") {
		t.Errorf("lan settings: %s", got)
	}
	wan, tw := ProfileWAN.memberlistConfig()
	if wan.ProbeInterval != 5*time.Second || tw.updateTimeout != 10*time.Second {
		t.Errorf("wan profile: %+v", wan)
	}
	if got := (PoolConfig{Pool: "lan/eu"}).Label(); got != "stratus/lan/eu" {
		t.Errorf("label %q", got)
	}
	if LANPool("eu") != "lan/eu" {
		t.Error("LANPool")
	}
	var verr interface{ Unwrap() []error }
	if !errors.As((PoolConfig{}).Validate(), &verr) {
		t.Error("Validate does not join its errors")
	}
}

func TestPoolConfigLogValueHidesKey(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("x", "cfg", PoolConfig{Pool: "lan/eu", Name: "e1", Key: []byte("0123456789abcdef")})
	if strings.Contains(buf.String(), "0123456789abcdef") || strings.Contains(buf.String(), "[48 49") ||
		!strings.Contains(buf.String(), "key_bytes=16") {
		t.Errorf("log line: %s", buf.String())
	}
}
