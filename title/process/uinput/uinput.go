// Package uinput gives a game process running on the edge a virtual gamepad.
//
// Games read gamepads from the kernel, not from their window: SDL (and with
// it most engines, Wine and Proton) opens /dev/input/event* devices and
// looks them up in its controller database, and some games read evdev
// directly. No user-space trick can put a pad in front of such a game; the
// only way is a kernel input device, and /dev/uinput is the kernel's
// interface for creating one from a process. A Pad is one such device,
// shaped like a wired Xbox 360 controller so that SDL, Steam Input and games
// recognise it without configuration, and fed from the page's gamepad state
// messages.
//
// An edge may lack uinput (module not loaded, a container without the
// device node, no write permission). Available says so in words an operator
// can act on; a process title then runs without gamepad input rather than
// failing to start.
package uinput

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"syscall"

	"stratus/input"
)

// devicePath is where the kernel's uinput device node lives.
const devicePath = "/dev/uinput"

var (
	// ErrUnavailable is wrapped by the errors of Available and New when
	// /dev/uinput cannot be used at all.
	ErrUnavailable = errors.New("gamepad: uinput unavailable")
	// ErrClosed is returned by Apply after Close.
	ErrClosed = errors.New("gamepad: virtual pad closed")
)

// device is an open /dev/uinput: the writes are input events, the ioctls
// describe and create the device. Tests substitute a recorder.
type device interface {
	io.Writer
	// ioctl issues a request whose argument is an integer.
	ioctl(req uint, arg int) error
	// ioctlBytes issues a request whose argument points at a struct,
	// given as its exact bytes.
	ioctlBytes(req uint, arg []byte) error
	Close() error
}

// Available reports whether virtual gamepads can be created on this
// machine: nil, or an error wrapping ErrUnavailable that says what to fix.
// It opens /dev/uinput and closes it again, which creates nothing.
func Available() error { return availableAt(openDevice, devicePath) }

func availableAt(open func(string) (device, error), path string) error {
	d, err := open(path)
	if err != nil {
		return unavailable(path, err)
	}
	return d.Close()
}

// unavailableError explains why uinput cannot be used. It unwraps to both
// ErrUnavailable and the system error, so callers can test either.
type unavailableError struct {
	why string
	err error
}

func (e *unavailableError) Error() string {
	return "gamepad: " + e.why + "; gamepad input for process titles is ignored"
}

func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.err} }

// unavailable turns a failure to open path into advice: the common causes
// each have one fix, and the operator reading the log should not have to
// know uinput to apply it.
func unavailable(path string, err error) error {
	var why string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		why = fmt.Sprintf("%s not present (load the uinput kernel module and give the edge write access to %s)", path, path)
	case errors.Is(err, fs.ErrPermission):
		why = fmt.Sprintf("permission denied opening %s (give the edge's user write access to it, e.g. through a udev rule or the group that owns it)", path)
	case errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO):
		why = fmt.Sprintf("%s exists but no driver answers it (load the uinput kernel module)", path)
	case errors.Is(err, errors.ErrUnsupported):
		why = "virtual gamepads need Linux uinput, which this system lacks"
	default:
		cause := err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			cause = pe.Err // the path is already in the message
		}
		why = fmt.Sprintf("cannot open %s: %v", path, cause)
	}
	return &unavailableError{why: why, err: err}
}

// Pad is one virtual gamepad. Its methods are safe for concurrent use.
type Pad struct {
	index int

	mu   sync.Mutex
	dev  device // nil once closed
	prev report // what the kernel was last told
	buf  []byte // scratch for encoded events
}

// New creates a virtual gamepad named name (a wired Xbox 360 pad's own name
// when empty) that takes the page's gamepad number index. It fails with an
// error wrapping ErrUnavailable when /dev/uinput cannot be opened, and with
// another error when the kernel refuses the device (Linux before 4.5 lacks
// the setup ioctls used here).
func New(name string, index int) (*Pad, error) {
	return create(openDevice, devicePath, name, index)
}

func create(open func(string) (device, error), path, name string, index int) (*Pad, error) {
	if index < 0 || index > 255 {
		return nil, fmt.Errorf("gamepad: pad index %d outside 0..255", index)
	}
	if name == "" {
		name = defaultName
	}
	d, err := open(path)
	if err != nil {
		return nil, unavailable(path, err)
	}
	if err := setup(d, name); err != nil {
		d.Close()
		return nil, fmt.Errorf("gamepad: creating %q through %s: %w", name, path, err)
	}
	return &Pad{index: index, dev: d}, nil
}

// setup declares the pad's keys and axes, its identity and axis ranges,
// then creates it. Nothing is visible to games until UI_DEV_CREATE, so a
// failure part way leaves no half-made device behind once the file closes.
func setup(d device, name string) error {
	if err := d.ioctl(uiSetEvBit, evKey); err != nil {
		return fmt.Errorf("UI_SET_EVBIT EV_KEY: %w", err)
	}
	for _, k := range keyTable {
		if err := d.ioctl(uiSetKeyBit, int(k.code)); err != nil {
			return fmt.Errorf("UI_SET_KEYBIT 0x%x: %w", k.code, err)
		}
	}
	if err := d.ioctl(uiSetEvBit, evAbs); err != nil {
		return fmt.Errorf("UI_SET_EVBIT EV_ABS: %w", err)
	}
	for _, a := range absTable {
		if err := d.ioctl(uiSetAbsBit, int(a.code)); err != nil {
			return fmt.Errorf("UI_SET_ABSBIT 0x%x: %w", a.code, err)
		}
	}
	if err := d.ioctlBytes(uiDevSetup, setupBytes(name)); err != nil {
		if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTTY) {
			return fmt.Errorf("UI_DEV_SETUP: %w (the kernel needs to be Linux 4.5 or later)", err)
		}
		return fmt.Errorf("UI_DEV_SETUP: %w", err)
	}
	for _, a := range absTable {
		if err := d.ioctlBytes(uiAbsSetup, absSetupBytes(a.code, a.min, a.max, a.fuzz, a.flat)); err != nil {
			return fmt.Errorf("UI_ABS_SETUP 0x%x: %w", a.code, err)
		}
	}
	if err := d.ioctl(uiDevCreate, 0); err != nil {
		return fmt.Errorf("UI_DEV_CREATE: %w", err)
	}
	return nil
}

// Index is the page gamepad number this pad follows.
func (p *Pad) Index() int { return p.index }

// Apply moves the pad to the state in ev, writing only what changed since
// the last successful Apply. Events that are not gamepad state, or that are
// for another pad number, are ignored, so a caller may hand every input
// event to every pad. After a failed write the previous state is kept, so
// the next Apply sends the whole change again.
func (p *Pad) Apply(ev input.Event) error {
	if ev.Kind != input.KindGamepad || int(ev.Pad) != p.index {
		return nil
	}
	next := reportOf(ev)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dev == nil {
		return ErrClosed
	}
	buf, wrote, err := writeDiff(p.dev, p.buf, &p.prev, &next)
	p.buf = buf
	if err != nil {
		return fmt.Errorf("gamepad %d: %w", p.index, err)
	}
	if wrote {
		p.prev = next
	}
	return nil
}

// Close removes the device (the kernel releases any held buttons, so the
// game sees them come up) and closes /dev/uinput. Closing twice is a no-op.
func (p *Pad) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dev == nil {
		return nil
	}
	d := p.dev
	p.dev = nil
	var errs []error
	if err := d.ioctl(uiDevDestroy, 0); err != nil {
		errs = append(errs, fmt.Errorf("UI_DEV_DESTROY: %w", err))
	}
	if err := d.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("gamepad %d: %w", p.index, err)
	}
	return nil
}
