//go:build !cgo

package opus

import (
	"errors"
	"testing"

	"stratus/encoder"
)

func TestUnavailableWithoutCgo(t *testing.T) {
	if _, err := New(DefaultConfig()); !errors.Is(err, encoder.ErrUnavailable) {
		t.Errorf("New error %v, want ErrUnavailable", err)
	}
}
