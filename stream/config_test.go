package stream

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigIsValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestConfigValidate checks that Validate names every problem at once.
func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   []string // each must appear in the error
	}{
		{"valid loopback", func(c *Config) { c.ListenIP = "127.0.0.1"; c.UDPPort = 0; c.TCPPort = -1 }, nil},
		{"valid ipv6", func(c *Config) { c.ListenIP = "::"; c.PublicIPs = []string{"2001:db8::1", "198.51.100.1"} }, nil},
		{"addresses", func(c *Config) {
			c.ListenIP = "localhost"
			c.PublicIPs = []string{"0.0.0.0", "edge.example.com"}
		}, []string{`ListenIP "localhost"`, `"0.0.0.0" cannot be advertised`, `"edge.example.com" is not an IP`}},
		{"ipv6 loopback", func(c *Config) { c.ListenIP = "::1" }, []string{"ListenIP ::1 cannot carry ICE"}},
		{"ports", func(c *Config) { c.UDPPort = -1; c.TCPPort = 70000 }, []string{"UDPPort -1", "TCPPort 70000"}},
		{"bitrates", func(c *Config) { c.MinBitrate = 0; c.StartBitrate = 30_000_000; c.MaxBitrate = -5 },
			[]string{"MinBitrate 0", "StartBitrate 30000000", "MaxBitrate -5"}},
		{"start below min", func(c *Config) { c.StartBitrate = c.MinBitrate - 1 }, []string{"StartBitrate"}},
		{"random loss", func(c *Config) { c.RandomLossMax = 1 }, []string{"RandomLossMax 1 is outside"}},
		{"timeouts", func(c *Config) {
			c.DisconnectedTimeout = 0
			c.FailedTimeout = -time.Second
			c.KeepaliveInterval = 0
		}, []string{"DisconnectedTimeout 0s", "FailedTimeout -1s", "KeepaliveInterval 0s"}},
		{"keepalive too slow", func(c *Config) { c.KeepaliveInterval = 2 * c.DisconnectedTimeout },
			[]string{"KeepaliveInterval 2s must be shorter"}},
		{"fec", func(c *Config) { c.FECMaxOverhead = 1.5; c.FECMinLoss = -0.1; c.FECInterval = 0 },
			[]string{"FECMaxOverhead 1.5", "FECMinLoss -0.1", "FECInterval 0s"}},
		{"fec off needs no interval", func(c *Config) { c.FECMaxOverhead = 0; c.FECInterval = 0 }, nil},
		{"everything", func(c *Config) {
			*c = Config{}
		}, []string{"ListenIP", "MinBitrate", "DisconnectedTimeout", "FailedTimeout", "KeepaliveInterval"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mutate(&c)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if lines := strings.Count(err.Error(), "\n") + 1; lines < len(tc.want) {
				t.Errorf("%d problems reported, want at least %d:\n%v", lines, len(tc.want), err)
			}
		})
	}
}

func TestNewEngineRejectsInvalidConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ListenIP = "nowhere"
	if _, err := NewEngine(cfg, nil); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Fatalf("NewEngine: %v", err)
	}
	cfg = DefaultConfig()
	cfg.ListenIP = "192.0.2.1" // TEST-NET: not an address of this host
	cfg.UDPPort, cfg.TCPPort = 0, -1
	if e, err := NewEngine(cfg, nil); err == nil {
		e.Close()
		t.Fatal("NewEngine bound an address the host does not have")
	}
}
