package process

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"stratus/title/process/x11"
)

// What is private to one session: its directory under RunDir/tmp, and the
// cookie its X server asks of every client. In the sandbox (package
// sandbox) a game runs as a uid of its own and sees only its own directory;
// its directory is then given to that uid, and RunDir and RunDir/tmp let
// others pass (0711) to a name they already know, without listing them,
// because bubblewrap resolves the paths it mounts as the session's uid.
// The cookie stops a game that finds another session's display socket.

// privateDir makes dir a directory only this user can enter (0700), or
// checks that the one already there is exactly that. It never follows a
// symbolic link at dir: a link planted there (by a game, which runs as
// this user) would otherwise send the next session's home, cookie or logs
// wherever it points. A directory this user owns with a looser mode is
// tightened; one owned by another user is refused.
func privateDir(dir string) error { return ownDir(dir, 0o700) }

// passDir is privateDir with others allowed through (0711) but not to
// list it: for the directories above each session's own.
func passDir(dir string) error { return ownDir(dir, 0o711) }

func ownDir(dir string, mode uint32) error {
	if err := os.Mkdir(dir, os.FileMode(mode)); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	// Opened without following a link and checked through the descriptor,
	// so nothing can swap the path between the check and the chmod.
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	// With O_DIRECTORY a link fails as ENOTDIR, not ELOOP: Lstat tells
	// the two apart for the message only.
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		if target, lerr := os.Readlink(dir); lerr == nil {
			return fmt.Errorf("%s is a symbolic link (to %q), not a directory: refusing to follow it; remove it", dir, target)
		}
		return fmt.Errorf("%s exists and is not a directory; remove it", dir)
	}
	switch {
	case err != nil:
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat %s: %w", dir, err)
	}
	if uid := uint32(os.Geteuid()); st.Uid != uid {
		return fmt.Errorf("%s belongs to uid %d, not to this edge's uid %d: refusing to use it", dir, st.Uid, uid)
	}
	if st.Mode&0o7777 != mode {
		if err := unix.Fchmod(fd, mode); err != nil {
			return fmt.Errorf("make %s private: %w", dir, err)
		}
	}
	return nil
}

// privateRunDir prepares an edge's RunDir: its parents as any directory
// (they may be shared, like /var/lib), the RunDir itself the edge's, with
// others let through to the session directories below it.
func privateRunDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	return passDir(dir)
}

// createPrivate creates the file at path for this user alone (0600),
// failing if anything, a symbolic link included, is already there.
func createPrivate(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	return errors.Join(werr, f.Close())
}

// xauthName is the file in a session's directory holding its X cookie.
const xauthName = "Xauthority"

// Xauthority entries, as libXau reads and writes them.
const (
	// familyWild matches any address: the entry is for whatever host and
	// display number a client asks about, which is right for a file that
	// holds one session's one server and is written before -displayfd
	// tells the number.
	familyWild  = 0xffff
	xauthScheme = "MIT-MAGIC-COOKIE-1"
)

// newCookie returns a fresh random MIT-MAGIC-COOKIE-1.
func newCookie() ([]byte, error) {
	c := make([]byte, x11.CookieLen)
	if _, err := rand.Read(c); err != nil {
		return nil, fmt.Errorf("X cookie: %w", err)
	}
	return c, nil
}

// xauthority encodes one Xauthority entry granting cookie for any address
// and display: family, then address, display number, scheme name and
// cookie, each a big-endian 16-bit length and its bytes. An empty display
// number matches every display.
func xauthority(cookie []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint16(familyWild))
	for _, field := range [][]byte{nil, nil, []byte(xauthScheme), cookie} {
		binary.Write(&b, binary.BigEndian, uint16(len(field)))
		b.Write(field)
	}
	return b.Bytes()
}

// writeXauthority writes a new cookie to the file xauthName in dir, for
// Xvfb's -auth and the game's XAUTHORITY, and returns the file's path and
// the cookie. The cookie never appears on a command line, where any local
// process could read it.
func writeXauthority(dir string) (path string, cookie []byte, err error) {
	if cookie, err = newCookie(); err != nil {
		return "", nil, err
	}
	path = filepath.Join(dir, xauthName)
	if err := createPrivate(path, xauthority(cookie)); err != nil {
		return "", nil, fmt.Errorf("X cookie: %w", err)
	}
	return path, cookie, nil
}

// prepare makes the session's private directory with the game's home and
// runtime directories in it (XDG_RUNTIME_DIR must be 0700 anyway), and its
// X cookie.
func (i *Instance) prepare() (home, run string, err error) {
	home, run = filepath.Join(i.dir, "home"), filepath.Join(i.dir, "run")
	for _, d := range []string{i.dir, home, run} {
		if err := privateDir(d); err != nil {
			return "", "", err
		}
	}
	i.xauth, i.cookie, err = writeXauthority(i.dir)
	return home, run, err
}
