package playerauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// fetcher is the transport of the key set's requests. go-oidc fetches the
// keys again for every token whose key it does not hold, so fetcher bounds
// how often that reaches the provider (Config.RefetchAfter), and how large
// an answer may be; and it turns every failed fetch, an HTTP status
// included, into a *fetchError, which Verify tells apart from a token
// that does not verify.
type fetcher struct {
	next     http.RoundTripper
	every    time.Duration
	maxBytes int64
	log      *slog.Logger
	now      func() time.Time

	mu      sync.Mutex
	last    time.Time // of the latest fetch let through
	lastErr error     // its failure, if it failed
}

// fetchError is a fetch of the keys that failed or was not let through.
type fetchError struct {
	// refused says the fetch came too soon after the previous one; err is
	// then that one's failure, or nil if it succeeded.
	refused bool
	err     error
}

func (e *fetchError) Error() string {
	switch {
	case e.refused && e.err != nil:
		return fmt.Sprintf("keys not fetched again so soon; the last fetch failed: %v", e.err)
	case e.refused:
		return "keys not fetched again so soon; none of those fetched verifies the token"
	default:
		return fmt.Sprintf("fetching keys: %v", e.err)
	}
}

func (e *fetchError) Unwrap() error { return e.err }

// unavailable says the keys could not be had: the provider's fault, or
// this node's, not the player's.
func (e *fetchError) unavailable() bool { return !e.refused || e.err != nil }

func (f *fetcher) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	now := f.now()
	if !f.last.IsZero() && now.Sub(f.last) < f.every {
		prev := f.lastErr
		f.mu.Unlock()
		return nil, &fetchError{refused: true, err: prev}
	}
	f.last = now
	f.mu.Unlock()
	resp, err := f.fetch(req)
	f.mu.Lock()
	f.lastErr = err
	f.mu.Unlock()
	if err != nil {
		f.log.Warn("fetching the players' sign-in keys failed", "url", req.URL.String(), "err", err)
		return nil, &fetchError{err: err}
	}
	f.log.Info("fetched the players' sign-in keys", "url", req.URL.String())
	return resp, nil
}

// fetch reads the whole answer, so that a status or a size that is wrong
// is reported here, typed, rather than by go-oidc in words only.
func (f *fetcher) fetch(req *http.Request) (*http.Response, error) {
	resp, err := f.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("answered %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > f.maxBytes {
		return nil, fmt.Errorf("key set over %d bytes", f.maxBytes)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// keySet is the remote key set, reporting to Verify what the signature
// check failed on: go-oidc's verifier words the key set's errors into its
// own, without their types.
type keySet struct{ remote *oidc.RemoteKeySet }

// keyErrKey is the context key of the *error a keySet reports into.
type keyErrKey struct{}

func (k keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	if slot, ok := ctx.Value(keyErrKey{}).(*error); ok {
		*slot = err
	}
	return payload, err
}

// reportKeyErrors returns a context whose signature check reports its
// error into *slot.
func reportKeyErrors(ctx context.Context, slot *error) context.Context {
	return context.WithValue(ctx, keyErrKey{}, slot)
}

// keysUnavailable says err is a failure to get the keys, as opposed to a
// token that does not verify with them.
func keysUnavailable(err error) bool {
	var fe *fetchError
	if errors.As(err, &fe) {
		return fe.unavailable()
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}
