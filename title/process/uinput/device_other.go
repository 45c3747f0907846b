//go:build !linux

package uinput

import "errors"

// openDevice fails everywhere but Linux: uinput is a Linux interface, and
// Available turns this into a message saying so.
func openDevice(string) (device, error) { return nil, errors.ErrUnsupported }
