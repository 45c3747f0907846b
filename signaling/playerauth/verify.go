package playerauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Reason says why a token was refused, in a word fit for logs, metrics
// and the player.
type Reason string

const (
	Missing       Reason = "missing"
	TooLong       Reason = "too long"
	Malformed     Reason = "malformed"
	Expired       Reason = "expired"
	NotYetValid   Reason = "not yet valid"
	WrongIssuer   Reason = "wrong issuer"
	WrongAudience Reason = "wrong audience"
	BadSubject    Reason = "bad subject"
	BadSignature  Reason = "bad signature"
	// KeysUnavailable is the one that is not the player's doing: the
	// provider's keys could not be fetched.
	KeysUnavailable Reason = "keys unavailable"
)

// Error is a token refused. It never holds the token, so that it may be
// logged: a token is as good as the player's sign-in until it expires.
type Error struct {
	Reason Reason
	Err    error // the detail
}

func (e *Error) Error() string { return fmt.Sprintf("player token %s: %v", e.Reason, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

func refuse(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Err: fmt.Errorf(format, args...)}
}

// maxSubjectBytes bounds a subject: OpenID Connect's are at most 255 ASCII
// characters, and the subject travels to edges and into logs.
const maxSubjectBytes = 255

// algorithms are the signatures accepted: what providers sign with. Naming
// them is what refuses "none", and a public key passed off as an HMAC
// secret.
func algorithms() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{
		jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
	}
}

// Verifier checks players' tokens against one provider. It is safe for
// concurrent use.
type Verifier struct {
	cfg  Config
	algs []jose.SignatureAlgorithm
	oidc *oidc.IDTokenVerifier
}

// New returns a verifier for cfg's provider. It fetches nothing until the
// first token comes.
func New(cfg Config, log *slog.Logger) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Fetches are seconds apart at the closest: a connection kept for the
	// next would only sit idle.
	tr.DisableKeepAlives = true
	f := &fetcher{next: tr, every: cfg.RefetchAfter, maxBytes: cfg.MaxKeysBytes, log: log.With("issuer", cfg.Issuer), now: time.Now}
	hc := &http.Client{Timeout: cfg.FetchTimeout, Transport: f}
	remote := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), hc), cfg.JWKSURL)
	algs := algorithms()
	names := make([]string, len(algs))
	for i, a := range algs {
		names[i] = string(a)
	}
	v := &Verifier{cfg: cfg, algs: algs}
	// Verify checks the times itself, with the configured skew; go-oidc
	// allows none for the expiry.
	v.oidc = oidc.NewVerifier(cfg.Issuer, keySet{remote}, &oidc.Config{
		ClientID: cfg.Audience, SupportedSigningAlgs: names, SkipExpiryCheck: true,
	})
	return v, nil
}

// Verify checks token and returns its subject, or an *Error saying why it
// is refused. The claims are read and checked before the signature, so
// that a token which would be refused anyway costs no fetch of the keys;
// the subject returned is the verified token's.
func (v *Verifier) Verify(ctx context.Context, token string) (string, error) {
	if token == "" {
		return "", refuse(Missing, "no token")
	}
	if len(token) > v.cfg.MaxTokenBytes {
		return "", refuse(TooLong, "%d bytes, more than %d", len(token), v.cfg.MaxTokenBytes)
	}
	parsed, err := jwt.ParseSigned(token, v.algs)
	if err != nil {
		return "", &Error{Reason: Malformed, Err: err}
	}
	if err := v.checkClaims(parsed, time.Now()); err != nil {
		return "", err
	}
	var keyErr error
	idt, err := v.oidc.Verify(reportKeyErrors(ctx, &keyErr), token)
	switch {
	case err == nil:
		return idt.Subject, nil
	case keyErr != nil && keysUnavailable(keyErr):
		return "", &Error{Reason: KeysUnavailable, Err: keyErr}
	case keyErr != nil:
		// go-oidc's words for this one nest three errors deep.
		return "", refuse(BadSignature, "no key the provider publishes verifies it")
	default:
		// The claims checked out above: what is left is the signature.
		return "", &Error{Reason: BadSignature, Err: err}
	}
}

// checkClaims checks the claims of a token not yet verified.
func (v *Verifier) checkClaims(t *jwt.JSONWebToken, now time.Time) error {
	var c jwt.Claims
	if err := t.UnsafeClaimsWithoutVerification(&c); err != nil {
		return &Error{Reason: Malformed, Err: err}
	}
	// A token that never expires would be a sign-in that cannot be
	// taken back.
	if c.Expiry == nil {
		return refuse(Expired, "no expiry (exp)")
	}
	err := c.ValidateWithLeeway(jwt.Expected{Issuer: v.cfg.Issuer, AnyAudience: jwt.Audience{v.cfg.Audience}, Time: now}, v.cfg.ClockSkew)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return refuse(WrongIssuer, "not issued by %q", v.cfg.Issuer)
	case errors.Is(err, jwt.ErrInvalidAudience):
		return refuse(WrongAudience, "not issued for %q", v.cfg.Audience)
	case errors.Is(err, jwt.ErrExpired):
		return refuse(Expired, "expired at %s", c.Expiry.Time().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return refuse(NotYetValid, "not valid before %s, now %s", validFrom(c).UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	default:
		return &Error{Reason: Malformed, Err: err}
	}
	switch {
	case c.Subject == "":
		return refuse(BadSubject, "no subject (sub)")
	case len(c.Subject) > maxSubjectBytes:
		return refuse(BadSubject, "subject of %d bytes, more than %d", len(c.Subject), maxSubjectBytes)
	}
	return nil
}

// validFrom is the later of a token's not-before and issued-at.
func validFrom(c jwt.Claims) time.Time {
	var t time.Time
	for _, d := range []*jwt.NumericDate{c.NotBefore, c.IssuedAt} {
		if d != nil && d.Time().After(t) {
			t = d.Time()
		}
	}
	return t
}
