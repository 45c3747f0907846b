package turn

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the TURN REST scheme is defined over HMAC-SHA1; browsers implement nothing else.
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxIDLen bounds the id part of a username: session ids are far shorter,
// and a STUN USERNAME must stay under 513 bytes.
const MaxIDLen = 128

// Credential is a time-limited TURN credential for one session.
type Credential struct {
	Username string
	Password string
	Expires  time.Time
}

// Credential errors, for callers that tell them apart (tests, logs).
var (
	ErrMalformed = errors.New("turn: malformed username")
	ErrExpired   = errors.New("turn: credential expired")
	ErrWrongMAC  = errors.New("turn: wrong password")
)

// Issue makes the credential of id, valid for ttl from now.
func Issue(secret []byte, id string, ttl time.Duration, now time.Time) Credential {
	exp := now.Add(ttl).Truncate(time.Second)
	user := strconv.FormatInt(exp.Unix(), 10) + ":" + id
	return Credential{Username: user, Password: password(secret, user), Expires: exp}
}

// password is the password the scheme gives username.
func password(secret []byte, username string) string {
	m := hmac.New(sha1.New, secret)
	m.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// parse splits a username into its expiry and id.
func parse(username string) (time.Time, string, error) {
	exp, id, ok := strings.Cut(username, ":")
	if !ok || id == "" || len(id) > MaxIDLen {
		return time.Time{}, "", fmt.Errorf("%w: want <expiry>:<id> with an id of 1 to %d bytes", ErrMalformed, MaxIDLen)
	}
	sec, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}, "", fmt.Errorf("%w: expiry %q is not Unix seconds", ErrMalformed, exp)
	}
	return time.Unix(sec, 0), id, nil
}

// Check says whether username may still make allocations at now, and
// returns its id and the password it must come with. The TURN server
// never sees the password itself, only a MESSAGE-INTEGRITY keyed with it,
// so checking the HMAC is the STUN layer's job, with this password.
func Check(secret []byte, username string, now time.Time) (id, pass string, err error) {
	exp, id, err := parse(username)
	if err != nil {
		return "", "", err
	}
	if !now.Before(exp) {
		return "", "", fmt.Errorf("%w at %s", ErrExpired, exp.UTC().Format(time.RFC3339))
	}
	return id, password(secret, username), nil
}

// Verify checks a username and password pair as a whole: the expiry, and
// that the password is the secret's HMAC of the username.
func Verify(secret []byte, username, pass string, now time.Time) (id string, err error) {
	id, want, err := Check(secret, username, now)
	if err != nil {
		return "", err
	}
	if !hmac.Equal([]byte(want), []byte(pass)) {
		return "", ErrWrongMAC
	}
	return id, nil
}
