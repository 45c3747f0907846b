// Package playerauth checks a player's sign-in at a signaling node: a JWT
// (an OpenID Connect ID token, or an access token in JWT form) that an
// identity provider signed for this service, verified against the keys
// the provider publishes (its JWKS). What it yields is the token's subject,
// which stands for the player from then on.
//
// Players are anonymous unless a node is given a Config: Stratus runs no
// accounts of its own, so signing in is the provider's business, and this
// package only checks what the provider says.
package playerauth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// Config names the identity provider whose tokens are accepted, and bounds
// what checking them may cost.
type Config struct {
	// Issuer is the "iss" a token must carry, exactly as the provider
	// writes it (usually its base URL).
	Issuer string
	// Audience must be among a token's "aud": the client ID the provider
	// gave the play page, so that a token the provider issued to another
	// application does not admit its holder here.
	Audience string
	// JWKSURL is where the provider publishes its signing keys (its
	// jwks_uri). It must be https, but on loopback: keys fetched in the
	// clear could be swapped by anyone on the path, and with them anyone
	// could sign in as anyone.
	JWKSURL string
	// MaxTokenBytes bounds a token; longer ones are refused before they
	// are parsed.
	MaxTokenBytes int
	// ClockSkew is how far this node's clock and the provider's may
	// disagree: a token is accepted that long after it expired, and that
	// long before it is valid.
	ClockSkew time.Duration
	// RefetchAfter is the least time between two fetches of the keys. A
	// token signed with a key the node has not seen makes it fetch them
	// again (the provider may have rotated its keys); without a bound,
	// anyone could make the node fetch them on every join.
	RefetchAfter time.Duration
	// FetchTimeout bounds one fetch of the keys.
	FetchTimeout time.Duration
	// MaxKeysBytes bounds the key set fetched.
	MaxKeysBytes int64
}

// DefaultConfig returns the limits, for the provider the caller names.
func DefaultConfig() Config {
	return Config{
		// ID tokens run to one or two KiB; 8 KiB leaves room for a
		// provider generous with claims without parsing anything huge.
		MaxTokenBytes: 8 << 10,
		// Clocks kept by NTP agree within seconds; a minute forgives one
		// that drifted a little without making an expired token useful.
		ClockSkew: time.Minute,
		// Six fetches a minute at most: a provider's rotation is noticed
		// within seconds, and the node cannot be made to hammer it.
		RefetchAfter: 10 * time.Second,
		// A join waits for the keys on the first sign-in; ten seconds
		// covers a slow provider without holding the page for long.
		FetchTimeout: 10 * time.Second,
		// A key set holds a few keys of a few hundred bytes each.
		MaxKeysBytes: 256 << 10,
	}
}

// maxSkew bounds ClockSkew: beyond a few minutes it is not skew but a
// longer life for every token.
const maxSkew = 5 * time.Minute

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Issuer == "" {
		errs = append(errs, errors.New("player auth: issuer is empty"))
	}
	if c.Audience == "" {
		errs = append(errs, errors.New("player auth: audience is empty"))
	}
	if c.JWKSURL == "" {
		errs = append(errs, errors.New("player auth: jwks url is empty"))
	} else if err := checkKeysURL(c.JWKSURL); err != nil {
		errs = append(errs, fmt.Errorf("player auth: jwks url: %w", err))
	}
	if c.MaxTokenBytes <= 0 {
		errs = append(errs, fmt.Errorf("player auth: max token bytes %d must be positive", c.MaxTokenBytes))
	}
	if c.MaxKeysBytes <= 0 {
		errs = append(errs, fmt.Errorf("player auth: max keys bytes %d must be positive", c.MaxKeysBytes))
	}
	if c.ClockSkew < 0 || c.ClockSkew > maxSkew {
		errs = append(errs, fmt.Errorf("player auth: clock skew %v must be between 0 and %v", c.ClockSkew, maxSkew))
	}
	if c.RefetchAfter <= 0 {
		errs = append(errs, fmt.Errorf("player auth: refetch after %v must be positive", c.RefetchAfter))
	}
	if c.FetchTimeout <= 0 {
		errs = append(errs, fmt.Errorf("player auth: fetch timeout %v must be positive", c.FetchTimeout))
	}
	return errors.Join(errs...)
}

// checkKeysURL accepts https, and http to a loopback host only.
func checkKeysURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q is not https: keys fetched in the clear could be swapped on the way", s)
	default:
		return fmt.Errorf("%q is not an https URL", s)
	}
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
