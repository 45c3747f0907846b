//go:build linux

package uinput

import (
	"io"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fdDevice is /dev/uinput opened as a raw descriptor. os.File is avoided on
// purpose: its poller integration and Fd()'s switch to blocking mode add
// nothing for a device that never blocks, and the ioctls need the number.
type fdDevice struct{ fd int }

// openDevice opens path write-only: the pad only injects events and takes
// no force feedback, so it never reads, and write permission is all the
// operator has to grant.
func openDevice(path string) (device, error) {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return &fdDevice{fd: fd}, nil
}

// Write hands whole events to the kernel, retrying on signals and short
// writes so a batch is never cut inside an event.
func (d *fdDevice) Write(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := unix.Write(d.fd, b[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, os.NewSyscallError("write", err)
		}
		if m <= 0 {
			return n, io.ErrShortWrite
		}
		n += m
	}
	return n, nil
}

func (d *fdDevice) ioctl(req uint, arg int) error {
	return unix.IoctlSetInt(d.fd, req, arg)
}

// ioctlBytes passes a pointer to arg, which holds the struct's exact bytes
// as the kernel lays it out.
func (d *fdDevice) ioctlBytes(req uint, arg []byte) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(d.fd), uintptr(req), uintptr(unsafe.Pointer(&arg[0])))
	runtime.KeepAlive(arg)
	if errno != 0 {
		return errno
	}
	return nil
}

func (d *fdDevice) Close() error {
	if err := unix.Close(d.fd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}
