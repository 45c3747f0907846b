//go:build !cgo

package pulse

import (
	"errors"
	"testing"
)

func TestRecordUnavailableWithoutCgo(t *testing.T) {
	if _, err := Record("unix:/nonexistent", "", "", nil); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Record error %v, want ErrUnavailable", err)
	}
}
