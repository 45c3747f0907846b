package nodeauth

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"stratus/edge/api"
)

// NodeKeys finds an enrolled node's public key and operator; an error
// says it is unknown or its operator revoked. It is called from any
// goroutine, once per signed request (enroll.Registry's Node fits it).
type NodeKeys func(node string) (ed25519.PublicKey, string, error)

// Config bounds a Verifier; zero fields take the defaults.
type Config struct {
	// Window is how far a request's time may be from the verifier's
	// clock, either way.
	Window time.Duration
	// MaxNonces is how many nonces are remembered at once: the signed
	// requests one window may hold. Past it, requests are refused until
	// older nonces leave the window, rather than forget one that could
	// then be replayed.
	MaxNonces int
}

// Defaults of Config.
const (
	// DefaultWindow: NTP keeps hosts within a second; thirty covers a
	// host that has drifted a little, and a request delayed on a slow
	// link, while a captured request is useless half a minute on.
	DefaultWindow = 30 * time.Second
	// DefaultMaxNonces: a node's status is asked for by a person or a
	// monitor every few seconds at most; a hundred thousand in a minute
	// (two windows) is far above any network's operators, at some 10 MB.
	DefaultMaxNonces = 100_000
)

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Window < 0 {
		errs = append(errs, errors.New("nodeauth: window is negative"))
	}
	if c.MaxNonces < 0 {
		errs = append(errs, errors.New("nodeauth: max nonces is negative"))
	}
	return errors.Join(errs...)
}

// Caller is who signed a request.
type Caller struct {
	Node, Operator string
}

// Verifier checks signed requests. Its methods may be called from any
// goroutine.
type Verifier struct {
	cfg  Config
	keys NodeKeys
	now  func() time.Time

	mu sync.Mutex
	// seen maps node and nonce to when the request's time leaves the
	// window: until then the nonce must not come again.
	seen map[string]time.Time
}

// NewVerifier checks requests against keys.
func NewVerifier(cfg Config, keys NodeKeys) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Window == 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.MaxNonces == 0 {
		cfg.MaxNonces = DefaultMaxNonces
	}
	return &Verifier{cfg: cfg, keys: keys, now: time.Now, seen: map[string]time.Time{}}, nil
}

// Verify returns the node that signed r, or an *api.Error saying why r is
// not believed: 401 unauthorized (unsigned, outside the window, or a
// nonce seen before), 403 forbidden (a node not enrolled or revoked, or a
// signature that does not hold), 429 rate_limited (too many signed
// requests in one window).
func (v *Verifier) Verify(r *http.Request) (Caller, error) {
	node, nonce := r.Header.Get(HeaderNode), r.Header.Get(HeaderNonce)
	unix, terr := strconv.ParseInt(r.Header.Get(HeaderTime), 10, 64)
	sig, serr := base64.StdEncoding.DecodeString(r.Header.Get(HeaderSignature))
	switch {
	case node == "" || nonce == "" || terr != nil || serr != nil:
		return Caller{}, api.Errorf(api.CodeUnauthorized, "a node's signed request is needed: %s, %s, %s and %s headers", HeaderNode, HeaderTime, HeaderNonce, HeaderSignature)
	case len(nonce) > maxNonce || len(sig) != ed25519.SignatureSize:
		return Caller{}, api.Errorf(api.CodeUnauthorized, "malformed nonce or signature")
	}
	now := v.now()
	at := time.Unix(unix, 0)
	if d := now.Sub(at); d > v.cfg.Window || d < -v.cfg.Window {
		return Caller{}, api.Errorf(api.CodeUnauthorized, "the request's time is %v from this node's clock, more than %v: check the clocks", d.Round(time.Second), v.cfg.Window)
	}
	key, operator, err := v.keys(node)
	if err != nil {
		return Caller{}, api.Errorf(api.CodeForbidden, "%v", err)
	}
	if len(key) != ed25519.PublicKeySize || !ed25519.Verify(key, Message(r.Method, r.URL.RequestURI(), node, unix, nonce), sig) {
		return Caller{}, api.Errorf(api.CodeForbidden, "the signature does not hold under %s's enrolled key", node)
	}
	// Only a request that holds is remembered, so that nobody fills the
	// nonces without a node's key.
	if err := v.remember(node+"\x00"+nonce, at.Add(v.cfg.Window), now); err != nil {
		return Caller{}, err
	}
	return Caller{Node: node, Operator: operator}, nil
}

// remember records a nonce until until, refusing one already recorded.
func (v *Verifier) remember(id string, until, now time.Time) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.seen[id]; ok {
		return api.Errorf(api.CodeUnauthorized, "this signed request was seen before (a replay)")
	}
	if len(v.seen) >= v.cfg.MaxNonces {
		for k, t := range v.seen {
			if !now.Before(t) {
				delete(v.seen, k)
			}
		}
		if len(v.seen) >= v.cfg.MaxNonces {
			return api.Errorf(api.CodeRateLimited, "too many signed requests within %v; try again shortly", v.cfg.Window)
		}
	}
	v.seen[id] = until
	return nil
}
