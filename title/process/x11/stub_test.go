//go:build !cgo

package x11

import (
	"errors"
	"testing"
)

func TestStubUnavailable(t *testing.T) {
	if err := Available(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Available() = %v, want ErrUnavailable", err)
	}
	if _, err := Open(":0"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open = %v, want ErrUnavailable", err)
	}
}
