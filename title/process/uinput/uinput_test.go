package uinput

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"stratus/input"
)

// call is one ioctl seen by fakeDevice: an integer argument or struct bytes.
type call struct {
	req  uint
	arg  int
	data []byte
}

// fakeDevice records what a Pad does to /dev/uinput.
type fakeDevice struct {
	calls    []call
	written  bytes.Buffer
	writes   int
	closes   int
	failReq  uint  // ioctl to fail, 0 for none
	failErr  error // its error
	writeErr error
}

func (d *fakeDevice) ioctl(req uint, arg int) error {
	d.calls = append(d.calls, call{req: req, arg: arg})
	if req == d.failReq {
		return d.failErr
	}
	return nil
}

func (d *fakeDevice) ioctlBytes(req uint, arg []byte) error {
	d.calls = append(d.calls, call{req: req, data: bytes.Clone(arg)})
	if req == d.failReq {
		return d.failErr
	}
	return nil
}

func (d *fakeDevice) Write(b []byte) (int, error) {
	d.writes++
	if d.writeErr != nil {
		return 0, d.writeErr
	}
	return d.written.Write(b)
}

func (d *fakeDevice) Close() error { d.closes++; return nil }

func opener(d *fakeDevice) func(string) (device, error) {
	return func(string) (device, error) { return d, nil }
}

func TestSetupSequence(t *testing.T) {
	d := &fakeDevice{}
	p, err := create(opener(d), "/fake/uinput", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if p.Index() != 1 {
		t.Errorf("Index = %d", p.Index())
	}
	want := []call{{req: uiSetEvBit, arg: evKey}}
	for _, code := range []int{0x130, 0x131, 0x133, 0x134, 0x136, 0x137, 0x13a, 0x13b, 0x13c, 0x13d, 0x13e} {
		want = append(want, call{req: uiSetKeyBit, arg: code})
	}
	want = append(want, call{req: uiSetEvBit, arg: evAbs})
	for _, code := range []int{absX, absY, absZ, absRX, absRY, absRZ, absHat0X, absHat0Y} {
		want = append(want, call{req: uiSetAbsBit, arg: code})
	}
	want = append(want, call{req: uiDevSetup, data: setupBytes(defaultName)})
	want = append(want,
		call{req: uiAbsSetup, data: absSetupBytes(absX, -32768, 32767, 16, 128)},
		call{req: uiAbsSetup, data: absSetupBytes(absY, -32768, 32767, 16, 128)},
		call{req: uiAbsSetup, data: absSetupBytes(absZ, 0, 255, 0, 0)},
		call{req: uiAbsSetup, data: absSetupBytes(absRX, -32768, 32767, 16, 128)},
		call{req: uiAbsSetup, data: absSetupBytes(absRY, -32768, 32767, 16, 128)},
		call{req: uiAbsSetup, data: absSetupBytes(absRZ, 0, 255, 0, 0)},
		call{req: uiAbsSetup, data: absSetupBytes(absHat0X, -1, 1, 0, 0)},
		call{req: uiAbsSetup, data: absSetupBytes(absHat0Y, -1, 1, 0, 0)},
		call{req: uiDevCreate},
	)
	if !reflect.DeepEqual(d.calls, want) {
		t.Errorf("ioctls\n got %v\nwant %v", d.calls, want)
	}
	if d.writes != 0 {
		t.Errorf("%d writes during setup", d.writes)
	}
}

func TestCreateFailures(t *testing.T) {
	d := &fakeDevice{failReq: uiDevSetup, failErr: syscall.EINVAL}
	if _, err := create(opener(d), "/fake/uinput", "Pad", 0); err == nil ||
		!errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "4.5") {
		t.Errorf("old kernel: err = %v", err)
	}
	if d.closes != 1 {
		t.Errorf("device closed %d times after a failed setup, want 1", d.closes)
	}
	for _, i := range []int{-1, 256} {
		if _, err := create(opener(&fakeDevice{}), "/fake/uinput", "Pad", i); err == nil {
			t.Errorf("index %d accepted", i)
		}
	}
}

func TestApplyAndClose(t *testing.T) {
	d := &fakeDevice{}
	p, err := create(opener(d), "/fake/uinput", "Pad", 2)
	if err != nil {
		t.Fatal(err)
	}
	press := pad([4]int16{}, 0, 0, input.PadA)
	press.Pad = 2
	if err := p.Apply(press); err != nil {
		t.Fatal(err)
	}
	want := []ev{{evKey, btnSouth, 1}, {evSyn, synReport, 0}}
	if got := decode(t, d.written.Bytes()); !reflect.DeepEqual(got, want) {
		t.Fatalf("press: %v", got)
	}

	other := press
	other.Pad = 0
	for _, e := range []input.Event{press, other, {Kind: input.KindKeyDown, Code: 'A'}} {
		if err := p.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	if d.writes != 1 {
		t.Errorf("%d writes; repeats, other pads and other kinds must write nothing", d.writes)
	}

	// A failed write keeps the old state, so the release is sent again.
	release := press
	release.Buttons = 0
	d.writeErr = syscall.EIO
	if err := p.Apply(release); !errors.Is(err, syscall.EIO) {
		t.Fatalf("write failure: err = %v", err)
	}
	d.writeErr = nil
	d.written.Reset()
	if err := p.Apply(release); err != nil {
		t.Fatal(err)
	}
	want = []ev{{evKey, btnSouth, 0}, {evSyn, synReport, 0}}
	if got := decode(t, d.written.Bytes()); !reflect.DeepEqual(got, want) {
		t.Errorf("retry: %v", got)
	}

	calls := len(d.calls)
	for range 2 {
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if extra := d.calls[calls:]; len(extra) != 1 || extra[0].req != uiDevDestroy || d.closes != 1 {
		t.Errorf("closing twice: ioctls %v, %d closes; want one UI_DEV_DESTROY and one close", extra, d.closes)
	}
	if err := p.Apply(press); !errors.Is(err, ErrClosed) {
		t.Errorf("Apply after Close: %v", err)
	}
}

func TestUnavailableMessages(t *testing.T) {
	const tail = "; gamepad input for process titles is ignored"
	for _, c := range []struct {
		err  error
		want string
	}{
		{syscall.ENOENT, "gamepad: /dev/uinput not present (load the uinput kernel module and give the edge write access to /dev/uinput)" + tail},
		{syscall.EACCES, "gamepad: permission denied opening /dev/uinput (give the edge's user write access to it, e.g. through a udev rule or the group that owns it)" + tail},
		{syscall.EPERM, "gamepad: permission denied opening /dev/uinput (give the edge's user write access to it, e.g. through a udev rule or the group that owns it)" + tail},
		{syscall.ENODEV, "gamepad: /dev/uinput exists but no driver answers it (load the uinput kernel module)" + tail},
		{errors.ErrUnsupported, "gamepad: virtual gamepads need Linux uinput, which this system lacks" + tail},
		{syscall.EBUSY, "gamepad: cannot open /dev/uinput: " + syscall.EBUSY.Error() + tail},
	} {
		err := unavailable("/dev/uinput", &os.PathError{Op: "open", Path: "/dev/uinput", Err: c.err})
		if err.Error() != c.want {
			t.Errorf("%v:\n got %q\nwant %q", c.err, err, c.want)
		}
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, c.err) {
			t.Errorf("%v: error does not unwrap to ErrUnavailable and the cause", c.err)
		}
	}
}

func TestMissingDevice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "uinput")
	want := "gamepad: " + path + " not present (load the uinput kernel module and give the edge write access to " +
		path + "); gamepad input for process titles is ignored"

	err := availableAt(openDevice, path)
	if err == nil || err.Error() != want || !errors.Is(err, ErrUnavailable) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Available: %v", err)
	}
	p, err := create(openDevice, path, "Pad", 0)
	if p != nil || err == nil || err.Error() != want || !errors.Is(err, ErrUnavailable) {
		t.Errorf("New: %v, %v", p, err)
	}
}

// TestAvailableHere runs the real check against /dev/uinput. Build machines
// usually have none, which is the message an operator will see.
func TestAvailableHere(t *testing.T) {
	if _, err := os.Stat(devicePath); err == nil {
		t.Skipf("%s exists here; Available() = %v", devicePath, Available())
	}
	err := Available()
	if err == nil || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Available() = %v without %s", err, devicePath)
	}
	t.Log(err)
	if _, err := New("Pad", 0); !errors.Is(err, ErrUnavailable) {
		t.Errorf("New without %s: %v", devicePath, err)
	}
}
