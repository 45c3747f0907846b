package enroll

import (
	"mime"
	"net/http"
	"time"

	"stratus/edge/api"
)

// maxBody bounds every request to the registry: the largest, an
// enrollment, is a few hundred bytes.
const maxBody = 4 << 10

// Handler serves the registry's API. guard wraps the operator's endpoints
// (adding, listing and revoking operators) so that only the network's
// operator reaches them; POST /v1/enroll is open, since its proof is the
// credential.
func (r *Registry) Handler(guard func(http.Handler) http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/operators", guard(http.HandlerFunc(r.serveAdd)))
	mux.Handle("GET /v1/operators", guard(http.HandlerFunc(r.serveList)))
	mux.Handle("POST /v1/operators/revoke", guard(http.HandlerFunc(r.serveRevoke)))
	mux.HandleFunc("POST /v1/enroll", r.serveEnroll)
	return mux
}

func (r *Registry) serveAdd(w http.ResponseWriter, req *http.Request) {
	var in AddRequest
	if !readJSON(w, req, &in) {
		return
	}
	tok, expires, err := r.Add(in.Name, in.Role)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, AddAnswer{Operator: in.Name, Token: tok.String(), Expires: expires.Format(time.RFC3339)})
}

func (r *Registry) serveList(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, r.Operators())
}

func (r *Registry) serveRevoke(w http.ResponseWriter, req *http.Request) {
	var in RevokeRequest
	if !readJSON(w, req, &in) {
		return
	}
	if err := r.Revoke(in.Name); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, r.Operators())
}

func (r *Registry) serveEnroll(w http.ResponseWriter, req *http.Request) {
	var in Request
	if !readJSON(w, req, &in) {
		return
	}
	ans, err := r.Enroll(in)
	if err != nil {
		r.log.Warn("enroll: refused", "node", in.Node, "from", req.RemoteAddr, "err", err)
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

// readJSON decodes a JSON body of at most maxBody bytes into v. A request
// of another type is refused: a form POST from a web page cannot then
// reach the registry across sites.
func readJSON(w http.ResponseWriter, req *http.Request, v any) bool {
	if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt != "application/json" {
		api.Errorf(api.CodeBadMessage, "Content-Type must be application/json").Write(w)
		return false
	}
	return api.ReadJSON(w, req, maxBody, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) { api.WriteJSON(w, status, v) }

func writeErr(w http.ResponseWriter, err error) { api.WriteError(w, err) }
