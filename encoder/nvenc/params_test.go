package nvenc

import (
	"strings"
	"testing"

	"stratus/encoder"
)

func cfg(w, h, fps, bps int) Config {
	return Config{Config: encoder.Config{Width: w, Height: h, FPS: fps, Bitrate: bps}}
}

// TestBuildParamsRecipe checks the low-latency recipe for a range of
// streams, and the values that follow from size, rate and fps.
func TestBuildParamsRecipe(t *testing.T) {
	tests := []struct {
		name                   string
		cfg                    Config
		bitrate, vbv           int
		refreshPeriod, refresh int
	}{
		{"720p60", cfg(1280, 720, 60, 6_000_000), 6_000_000, 100_000, 120, 15},
		{"1080p30", cfg(1920, 1080, 30, 10_000_000), 10_000_000, 333_334, 60, 7},
		{"1080p144", cfg(1920, 1080, 144, 20_000_000), 20_000_000, 138_889, 288, 36},
		{"largest", cfg(4096, 4096, 30, 40_000_000), 40_000_000, 1_333_334, 60, 7},
		{"smallest rate", cfg(640, 360, 240, 100_000), 100_000, 417, 480, 60},
		{"one fps", cfg(320, 240, 1, 500_000), 500_000, 500_000, 2, 1},
		{"three fps", cfg(320, 240, 3, 500_000), 500_000, 166_667, 6, 1},
		{"codec named", Config{Config: encoder.Config{Width: 1280, Height: 720, FPS: 60, Bitrate: 6_000_000}, Codec: "h264", GPU: 3},
			6_000_000, 100_000, 120, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := buildParams(tt.cfg)
			if err != nil {
				t.Fatalf("buildParams: %v", err)
			}
			want := params{
				codec: codecH264, width: tt.cfg.Width, height: tt.cfg.Height, fps: tt.cfg.FPS,
				preset: presetP1, tuning: tuningUltraLowLatency, profile: profileBaseline,
				rc: rcCBR, multiPass: false,
				bitrate: tt.bitrate, maxBitrate: tt.bitrate,
				vbvSize: tt.vbv, vbvInitialDelay: tt.vbv,
				gopLength: 0xffffffff, idrPeriod: 0xffffffff,
				frameIntervalP: 1, zeroReorderDelay: true,
				intraRefresh: true, intraRefreshPeriod: tt.refreshPeriod, intraRefreshCount: tt.refresh,
				repeatSPSPPS: true, outputAUD: false, singleSlice: true, bt601: true,
				input: bufferNV12,
			}
			if p != want {
				t.Errorf("buildParams(%+v)\n got %+v\nwant %+v", tt.cfg, p, want)
			}
			if p.intraRefreshCount >= p.intraRefreshPeriod {
				t.Errorf("intra refresh count %d not below period %d, as NVENC requires", p.intraRefreshCount, p.intraRefreshPeriod)
			}
		})
	}
}

// TestVBVIsOneFrame checks, for every fps and a spread of rates, that the
// VBV holds one frame at the target rate and less than one frame plus a
// bit per fps.
func TestVBVIsOneFrame(t *testing.T) {
	for fps := 1; fps <= 240; fps++ {
		for _, bps := range []int{100_000, 333_333, 1_000_000, 2_500_001, 6_000_000, 49_999_999, 50_000_000} {
			p, err := buildParams(cfg(1280, 720, fps, bps))
			if err != nil {
				t.Fatalf("fps %d bitrate %d: %v", fps, bps, err)
			}
			if p.vbvSize*fps < bps || (p.vbvSize-1)*fps >= bps {
				t.Fatalf("fps %d bitrate %d: VBV %d bits is not one frame", fps, bps, p.vbvSize)
			}
			if p.vbvInitialDelay != p.vbvSize {
				t.Fatalf("fps %d bitrate %d: initial delay %d, VBV %d", fps, bps, p.vbvInitialDelay, p.vbvSize)
			}
		}
	}
}

func TestBuildParamsClampsBitrate(t *testing.T) {
	p, err := buildParams(cfg(1920, 1080, 60, 400_000_000))
	if err != nil {
		t.Fatal(err)
	}
	if p.bitrate != maxBitrate || p.maxBitrate != maxBitrate || p.vbvSize != maxBitrate/60+1 {
		t.Errorf("400 Mbit/s became bitrate %d, max %d, VBV %d; want clamped to %d", p.bitrate, p.maxBitrate, p.vbvSize, maxBitrate)
	}
}

func TestBuildParamsRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"odd size", cfg(1281, 720, 60, 1e6), []string{"size 1281x720"}},
		{"too wide", cfg(4098, 2160, 60, 1e6), []string{"size 4098x2160: NVENC encodes H.264 up to 4096x4096"}},
		{"too tall", cfg(1080, 4100, 30, 1e6), []string{"size 1080x4100"}},
		{"zero fps", cfg(1280, 720, 0, 1e6), []string{"fps 0"}},
		{"fps too high", cfg(1280, 720, 241, 1e6), []string{"fps 241"}},
		{"bitrate too low", cfg(1280, 720, 60, 99_999), []string{"bitrate 99999"}},
		{"negative gpu", Config{Config: cfg(1280, 720, 60, 1e6).Config, GPU: -1}, []string{"gpu -1"}},
		{"hevc", Config{Config: cfg(1280, 720, 60, 1e6).Config, Codec: "hevc"}, []string{`codec "hevc": not implemented`}},
		{"av1", Config{Config: cfg(1280, 720, 60, 1e6).Config, Codec: "av1"}, []string{`codec "av1": not implemented`, "SDK 12"}},
		{"unknown codec", Config{Config: cfg(1280, 720, 60, 1e6).Config, Codec: "H264"}, []string{`codec "H264": unknown`}},
		{"everything", Config{
			Config: encoder.Config{Width: 8191, Height: -2, FPS: 500, Bitrate: 5, Threads: -1},
			GPU:    -2, Codec: "vp9",
		}, []string{"size 8191x-2: width and height", "fps 500", "bitrate 5", "threads -1", "gpu -2", `codec "vp9"`, "up to 4096x4096"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := buildParams(tt.cfg)
			if err == nil {
				t.Fatal("buildParams accepted an invalid config")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestReconfigParams checks that a bitrate change touches the rate and its
// VBV only: NVENC cannot reconfigure the GOP structure, and the rest must
// stay as the session was opened.
func TestReconfigParams(t *testing.T) {
	base, err := buildParams(cfg(1280, 720, 60, 6_000_000))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		bps, want, vbv int
	}{
		{2_000_000, 2_000_000, 33_334},
		{6_000_000, 6_000_000, 100_000},
		{12_345_678, 12_345_678, 205_762},
		{1, minBitrate, 1667},
		{-5, minBitrate, 1667},
		{1 << 40, maxBitrate, 833_334},
	}
	for _, tt := range tests {
		got := reconfigParams(base, tt.bps)
		want := base
		want.bitrate, want.maxBitrate, want.vbvSize, want.vbvInitialDelay = tt.want, tt.want, tt.vbv, tt.vbv
		if got != want {
			t.Errorf("reconfigParams(%d)\n got %+v\nwant %+v", tt.bps, got, want)
		}
	}
	// Reconfiguring does not drift: back to the start gives the start.
	if got := reconfigParams(reconfigParams(base, 700_000), 6_000_000); got != base {
		t.Errorf("6 → 0.7 → 6 Mbit/s gave %+v, want %+v", got, base)
	}
}

func TestFitCaps(t *testing.T) {
	p, err := buildParams(cfg(1920, 1080, 60, 8_000_000))
	if err != nil {
		t.Fatal(err)
	}
	full := caps{widthMin: 145, heightMin: 49, widthMax: 4096, heightMax: 4096, intraRefresh: true, dynamicBitrate: true, customVBV: true}

	got, warn, err := fitCaps(p, full)
	if err != nil || len(warn) != 0 || got != p {
		t.Errorf("full caps: params changed %v, warnings %q, error %v", got != p, warn, err)
	}
	// An older driver answers no caps: nothing to check against.
	if got, _, err := fitCaps(p, caps{}); err != nil || got.width != p.width {
		t.Errorf("unknown caps: %v", err)
	}

	small := full
	small.widthMax, small.heightMax = 1280, 1024
	if _, _, err := fitCaps(p, small); err == nil || !strings.Contains(err.Error(), "this GPU encodes up to 1280x1024") {
		t.Errorf("1080p on a 1280x1024 GPU: error %v", err)
	}
	big := full
	big.widthMin = 2048
	if _, _, err := fitCaps(p, big); err == nil || !strings.Contains(err.Error(), "from 2048x49") {
		t.Errorf("1080p on a GPU with minimum width 2048: error %v", err)
	}

	noRefresh := full
	noRefresh.intraRefresh = false
	got, warn, err = fitCaps(p, noRefresh)
	if err != nil || got.intraRefresh || got.intraRefreshPeriod != 0 || got.intraRefreshCount != 0 ||
		len(warn) != 1 || !strings.Contains(warn[0], "intra refresh") {
		t.Errorf("no intra refresh: refresh %v/%d/%d, warnings %q, error %v",
			got.intraRefresh, got.intraRefreshPeriod, got.intraRefreshCount, warn, err)
	}
	limited := full
	limited.dynamicBitrate, limited.customVBV = false, false
	if _, warn, _ := fitCaps(p, limited); len(warn) != 2 {
		t.Errorf("no bitrate change and no custom VBV: warnings %q, want 2", warn)
	}
}

func TestCheckPicture(t *testing.T) {
	short := encoder.NewI420(1280, 720)
	short.V = short.V[:10]
	narrow := encoder.NewI420(1280, 720)
	narrow.StrideY = 1278
	padded := encoder.NewI420(1280, 720)
	padded.Y = make([]byte, 1344*719+1280)
	padded.StrideY = 1344
	tests := []struct {
		name string
		pic  *encoder.I420
		want string
	}{
		{"nil", nil, "nil picture"},
		{"wrong size", encoder.NewI420(640, 360), "picture is 640x360, encoder is 1280x720"},
		{"short plane", short, "V plane holds 10 bytes"},
		{"narrow stride", narrow, "Y stride 1278"},
		{"good", encoder.NewI420(1280, 720), ""},
		{"padded rows, last row unpadded", padded, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkPicture(tt.pic, 1280, 720)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("checkPicture: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("checkPicture error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
