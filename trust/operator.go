package trust

import (
	"log/slog"
	"net/http"
	"strings"

	"stratus/edge/api"
)

// Operator guards the operator's endpoints with the operator token. It
// holds no state that changes, so one Operator serves any number of
// requests at once.
type Operator struct {
	token Token
	log   *slog.Logger
}

// NewOperator guards with token. An empty token refuses every request
// with 403, whatever it sends, saying that the node has no token
// configured: better an operator who must configure one than endpoints
// open to anyone.
func NewOperator(token Token, log *slog.Logger) *Operator {
	return &Operator{token: token, log: log}
}

// Require wraps h: it runs only for a request with
// "Authorization: Bearer <token>". Without a Bearer credential the answer
// is 401 with WWW-Authenticate; with a wrong one, 403. Both carry an
// api.Error body.
func (o *Operator) Require(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := o.check(r); err != nil {
			if err.Status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="stratus operator"`)
			}
			o.log.Warn("operator request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "code", err.Code)
			writeError(w, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Allows says whether r carries the operator token, answering nothing: for
// an endpoint that serves others too (a studio its own usage), and that
// refuses the request itself when nobody's credential fits.
func (o *Operator) Allows(r *http.Request) bool { return o.check(r) == nil }

// check says why r may not act as the operator, or nil.
func (o *Operator) check(r *http.Request) *api.Error {
	if o.token == "" {
		return api.Errorf(api.CodeForbidden, "this node has no operator token configured; start it with -operator-token-file")
	}
	given, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return api.Errorf(api.CodeUnauthorized, "operator token required: send Authorization: Bearer <token>")
	}
	if !o.token.Equal(given) {
		return api.Errorf(api.CodeForbidden, "wrong operator token")
	}
	return nil
}

// bearer is the credential of a Bearer Authorization header. The scheme's
// case does not matter (RFC 9110); the credential is taken as sent, so a
// token with whitespace around it does not match.
func bearer(header string) (string, bool) {
	scheme, cred, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return "", false
	}
	return cred, true
}

// SetBearer puts the token on an outgoing request, as the operator's
// commands send it.
func SetBearer(h http.Header, token Token) {
	if token != "" {
		h.Set("Authorization", "Bearer "+string(token))
	}
}

// BearerTransport sends the token with every request it carries over
// Next (nil: http.DefaultTransport). Like any RoundTripper it may be used
// by many goroutines at once; it changes copies of the requests, never the
// callers'.
type BearerTransport struct {
	Token Token
	Next  http.RoundTripper
}

func (b BearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	next := b.Next
	if next == nil {
		next = http.DefaultTransport
	}
	r = r.Clone(r.Context())
	SetBearer(r.Header, b.Token)
	return next.RoundTrip(r)
}

func writeError(w http.ResponseWriter, e *api.Error) { e.Write(w) }
