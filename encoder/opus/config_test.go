package opus

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ok := DefaultConfig()
	with := func(f func(*Config)) Config { c := ok; f(&c); return c }
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none means valid
	}{
		{"default", ok, nil},
		{"mono", with(func(c *Config) { c.Channels = 1 }), nil},
		{"2.5ms", with(func(c *Config) { c.FrameDuration = 2500 * time.Microsecond }), nil},
		{"5ms", with(func(c *Config) { c.FrameDuration = 5 * time.Millisecond }), nil},
		{"20ms", with(func(c *Config) { c.FrameDuration = 20 * time.Millisecond }), nil},
		{"min bitrate", with(func(c *Config) { c.Bitrate = MinBitrate }), nil},
		{"max bitrate", with(func(c *Config) { c.Bitrate = MaxBitrate }), nil},
		{"44.1kHz", with(func(c *Config) { c.SampleRate = 44100 }), []string{"sample rate 44100"}},
		{"no channels", with(func(c *Config) { c.Channels = 0 }), []string{"channels 0"}},
		{"3 channels", with(func(c *Config) { c.Channels = 3 }), []string{"channels 3"}},
		{"low bitrate", with(func(c *Config) { c.Bitrate = MinBitrate - 1 }), []string{"bitrate 5999"}},
		{"high bitrate", with(func(c *Config) { c.Bitrate = MaxBitrate + 1 }), []string{"bitrate 510001"}},
		{"40ms", with(func(c *Config) { c.FrameDuration = 40 * time.Millisecond }), []string{"frame duration 40ms"}},
		{"7ms", with(func(c *Config) { c.FrameDuration = 7 * time.Millisecond }), []string{"frame duration 7ms"}},
		{"zero", Config{}, []string{"sample rate 0", "channels 0", "bitrate 0", "frame duration 0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestFrameSamples(t *testing.T) {
	for d, want := range map[time.Duration]int{
		2500 * time.Microsecond: 120,
		5 * time.Millisecond:    240,
		10 * time.Millisecond:   480,
		20 * time.Millisecond:   960,
	} {
		c := DefaultConfig()
		c.FrameDuration = d
		if got := c.frameSamples(); got != want {
			t.Errorf("frameSamples at %v = %d, want %d", d, got, want)
		}
	}
}
