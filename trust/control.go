package trust

import (
	"context"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"stratus/edge/api"
)

// Control guards an edge's control API (sessions, drain, status): a call
// comes either from the operator, with the operator token, or from a
// signaling node, with a ticket for this edge and this call. Its state (the
// nonces of tickets used) is safe for concurrent use.
type Control struct {
	edge   string
	key    []byte
	op     Token
	nonces *Nonces
	log    *slog.Logger
	now    func() time.Time
}

// NewControl guards edge's control API with the ticket key and the
// operator token. With neither, the API is open (an edge alone, for
// development): Open says so.
func NewControl(edge string, ticketKey []byte, operator Token, log *slog.Logger) *Control {
	return &Control{edge: edge, key: ticketKey, op: operator, nonces: NewNonces(), log: log, now: time.Now}
}

// Open reports whether the API takes calls from anyone.
func (c *Control) Open() bool { return len(c.key) == 0 && c.op == "" }

type subjectKey struct{}

// TicketSubject is the subject of the ticket a request came with; ok is
// false for the operator's requests and an open API's.
func TicketSubject(ctx context.Context) (subject string, ok bool) {
	subject, ok = ctx.Value(subjectKey{}).(string)
	return subject, ok
}

// Require wraps h. A POST must be application/json (a form a web page can
// send cross-site is not); then the operator's Bearer token or a valid,
// unused ticket for this edge, method and path lets it through. Without a
// credential the answer is 401, with a wrong one 403.
func (c *Control) Require(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.Open() {
			h.ServeHTTP(w, r)
			return
		}
		ctx, err := c.check(r)
		if err != nil {
			if err.Status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="stratus edge"`)
			}
			c.log.Warn("control request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "why", err.Message)
			writeError(w, err)
			return
		}
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (c *Control) check(r *http.Request) (context.Context, *api.Error) {
	if r.Method == http.MethodPost {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			return nil, api.Errorf(api.CodeBadMessage, "control requests must be application/json")
		}
	}
	if given, ok := bearer(r.Header.Get("Authorization")); ok {
		if c.op == "" || !c.op.Equal(given) {
			return nil, api.Errorf(api.CodeForbidden, "wrong operator token")
		}
		return r.Context(), nil
	}
	s := r.Header.Get(TicketHeader)
	if s == "" {
		return nil, api.Errorf(api.CodeUnauthorized, "this edge's control API needs the operator token (Authorization: Bearer) or a signaling node's ticket")
	}
	if len(c.key) == 0 {
		return nil, api.Errorf(api.CodeForbidden, "this edge takes no tickets (it has no cluster key)")
	}
	now := c.now()
	t, err := OpenTicket(c.key, s, now)
	if err != nil {
		return nil, api.Errorf(api.CodeForbidden, "%v", err)
	}
	if t.Edge != c.edge || t.Method != r.Method || t.Path != r.URL.Path {
		return nil, api.Errorf(api.CodeForbidden, "ticket is for another call (%s %s on %s)", t.Method, t.Path, t.Edge)
	}
	if err := c.nonces.Use(t, now); err != nil {
		return nil, api.Errorf(api.CodeForbidden, "%v", err)
	}
	return context.WithValue(r.Context(), subjectKey{}, t.Subject), nil
}
