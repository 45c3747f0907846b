package trust

import (
	"fmt"
	"io"
	"os"
)

// ReadSecret reads a secret (a key, a token, a list of keys) from path,
// what naming it in errors. A file that group or others may read is
// refused, since the secret would no longer be its owner's alone, and so is
// anything but a regular file of at most max bytes.
func ReadSecret(path, what string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %s is not a regular file", what, path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%s: %s has mode %04o, readable by others than its owner; run chmod 600 %s", what, path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: %s is over %d bytes", what, path, max)
	}
	return data, nil
}
