package turn

import (
	"errors"
	"testing"
	"time"
)

func TestCredentials(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	good := Issue(secret, "s-42", 5*time.Minute, now)
	if good.Username != "1800000300:s-42" {
		t.Fatalf("username %q, want 1800000300:s-42", good.Username)
	}
	// The scheme's password for this secret and username, worked out
	// apart with openssl: printf 1800000300:s-42 | openssl dgst -sha1
	// -hmac <secret> -binary | base64.
	if good.Password != "hadUrhLwEE/DE34yxPaTKA1UoxM=" {
		t.Fatalf("password %q, want hadUrhLwEE/DE34yxPaTKA1UoxM=", good.Password)
	}
	other := Issue(secret, "s-43", 5*time.Minute, now)
	for _, tc := range []struct {
		name       string
		user, pass string
		at         time.Time
		secret     []byte
		want       error
	}{
		{"valid", good.Username, good.Password, now, secret, nil},
		{"valid until the last second", good.Username, good.Password, good.Expires.Add(-time.Second), secret, nil},
		{"expired", good.Username, good.Password, good.Expires, secret, ErrExpired},
		{"wrong hmac", good.Username, other.Password, now, secret, ErrWrongMAC},
		{"another secret", good.Username, good.Password, now, []byte("another secret, 32 bytes long!!!"), ErrWrongMAC},
		{"wrong user", "1800000300:s-43", good.Password, now, secret, ErrWrongMAC},
		{"expiry moved", "1900000300:s-42", good.Password, now, secret, ErrWrongMAC},
		{"no id", "1800000300:", good.Password, now, secret, ErrMalformed},
		{"no expiry", "s-42", good.Password, now, secret, ErrMalformed},
		{"expiry not a number", "soon:s-42", good.Password, now, secret, ErrMalformed},
		{"negative expiry", "-5:s-42", good.Password, now, secret, ErrMalformed},
		{"id too long", "1800000300:" + string(make([]byte, MaxIDLen+1)), good.Password, now, secret, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := Verify(tc.secret, tc.user, tc.pass, tc.at)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %q, %v; want %v", id, err, tc.want)
			}
			if err == nil && id != "s-42" {
				t.Fatalf("id %q, want s-42", id)
			}
		})
	}
}
