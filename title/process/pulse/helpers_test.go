package pulse

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"stratus/title"
)

// needTools fails the test, naming the Debian package, when a program the
// tests run is missing: these tests use real servers and clients.
func needTools(t testing.TB) {
	t.Helper()
	for prog, pkg := range map[string]string{"pulseaudio": "pulseaudio", "pacat": "pulseaudio-utils", "pactl": "pulseaudio-utils"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Fatalf("%s not found: install the Debian package %s (make test does)", prog, pkg)
		}
	}
}

// startServer starts a server in a fresh directory, closed at cleanup.
func startServer(t testing.TB, session string) *Server {
	t.Helper()
	needTools(t)
	s, err := Start(ServerConfig{Dir: t.TempDir(), Session: session, Log: testLog(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// gameEnv is the whole environment of a stand-in game: the server's Env,
// PATH, and a home of its own so its client config is not the host's.
func gameEnv(t testing.TB, s *Server) []string {
	return append(s.Env(), "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir())
}

// pactl runs pactl with env and returns its output.
func pactl(env []string, args ...string) (string, error) {
	cmd := exec.Command("pactl", args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// player is a stand-in game: pacat fed from a pipe that a goroutine fills
// with 10 ms chunks, silence until toneOn, then a tone.
type player struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	w      *os.File
	freq   float64
	tone   atomic.Bool
	toneAt atomic.Int64 // unix nanos when the first tone chunk entered the pipe
	chunks atomic.Int64 // chunks written so far
	done   chan struct{}
	once   sync.Once
}

// fSetPipeSize is F_SETPIPE_SZ, which package syscall does not name.
const fSetPipeSize = 1031

// play starts pacat on s with only gameEnv. The pipe is shrunk to one page
// (about 21 ms of sound), so writes follow pacat's reads, which follow the
// server's clock: what is written is heard soon after.
func play(t testing.TB, s *Server, freq float64, toneNow bool) *player {
	t.Helper()
	return playAs(t, gameEnv(t, s), nil, freq, toneNow)
}

// playAs is play with the whole environment given, run as cred's user
// (nil: ours).
func playAs(t testing.TB, env []string, cred *syscall.Credential, freq float64, toneNow bool) *player {
	t.Helper()
	rd, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), fSetPipeSize, 4096); e != 0 {
		t.Logf("F_SETPIPE_SZ: %v (pipe stays at its default size)", e)
	}
	p := &player{w: w, freq: freq, done: make(chan struct{})}
	p.tone.Store(toneNow)
	p.cmd = exec.Command("pacat", "--playback", "--raw", "--format=s16le",
		"--rate="+strconv.Itoa(title.AudioRate), "--channels="+strconv.Itoa(title.AudioChannels),
		"--latency-msec=20", "--client-name=game")
	p.cmd.Env = env
	if cred != nil {
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	p.cmd.Stdin, p.cmd.Stderr = rd, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("pacat: %v", err)
	}
	rd.Close()
	go p.feed()
	t.Cleanup(p.stop)
	return p
}

func (p *player) feed() {
	buf := make([]byte, chunkSamples*sampleBytes)
	for i := 0; ; i++ {
		select {
		case <-p.done:
			return
		default:
		}
		on := p.tone.Load()
		pcm := make([]int16, chunkSamples)
		if on {
			pcm = tone(p.freq, 16000, i*chunkFrames, chunkFrames)
		}
		for k, v := range pcm {
			binary.LittleEndian.PutUint16(buf[2*k:], uint16(v))
		}
		if _, err := p.w.Write(buf); err != nil {
			return // pacat is gone
		}
		if on {
			p.toneAt.CompareAndSwap(0, time.Now().UnixNano())
		}
		p.chunks.Add(1)
	}
}

// stop ends pacat and the feeder.
func (p *player) stop() {
	p.once.Do(func() {
		close(p.done)
		p.w.Close()
		p.cmd.Process.Kill()
		p.cmd.Wait()
	})
}

// tone returns frames of a stereo sine at freq Hz, starting at frame from.
func tone(freq, amp float64, from, frames int) []int16 {
	pcm := make([]int16, frames*title.AudioChannels)
	for i := range frames {
		v := int16(amp * math.Sin(2*math.Pi*freq*float64(from+i)/title.AudioRate))
		for c := range title.AudioChannels {
			pcm[i*title.AudioChannels+c] = v
		}
	}
	return pcm
}

// rms is the root mean square of the samples.
func rms(pcm []int16) float64 {
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(max(len(pcm), 1)))
}

// goertzel is the power of channel ch of interleaved pcm at freq Hz.
func goertzel(pcm []int16, ch int, freq float64) float64 {
	k := 2 * math.Cos(2*math.Pi*freq/title.AudioRate)
	var s1, s2 float64
	for i := ch; i < len(pcm); i += title.AudioChannels {
		s1, s2 = float64(pcm[i])+k*s1-s2, s1
	}
	return s1*s1 + s2*s2 - k*s1*s2
}

// marked lists the processes whose environment holds SessionEnv=session.
func marked(session string) []int {
	want := []byte(SessionEnv + "=" + session + "\x00")
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !bytes.Contains(append([]byte{0}, env...), append([]byte{0}, want...)) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		pids = append(pids, pid)
	}
	return pids
}

// waitFor polls cond every 10 ms until it holds or timeout passes, then
// fails with what it waited for.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: still waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// session returns a marker unique to this test run.
func session(t testing.TB) string {
	return fmt.Sprintf("test-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))
}
