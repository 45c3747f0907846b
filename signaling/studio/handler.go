package studio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"stratus/title/manifest"
)

// The studio API, served under Prefix; every request needs
// "Authorization: Bearer <key>":
//
//	GET    /v1/studio/titles       the caller's titles, retired ones too
//	POST   /v1/studio/titles       create; body: a manifest; 201
//	GET    /v1/studio/titles/{id}  one title
//	PUT    /v1/studio/titles/{id}  a new version; body: a manifest
//	DELETE /v1/studio/titles/{id}  retire
//
// Titles come back as Title, errors as APIError: 400 bad_manifest (with
// problems) or bad_request, 401 unauthorized, 403 forbidden (another
// studio's title), reserved_id (a built-in title's id) or quota_exceeded
// (see Limits), 404 not_found, 405 method_not_allowed, 409 id_taken,
// same_version or retired, 413 too_large (over MaxBody), 429 rate_limited
// (too many failed keys from one address, with Retry-After; see
// AuthLimits).

// studioKey is the request context key of the authenticated studio.
type studioKey struct{}

// Handler serves the studio API. It expects the full path, Prefix
// included: mount it at Prefix without stripping.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(TitlesPath, s.titles)
	mux.HandleFunc(TitlesPath+"/{id}", s.title)
	mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &APIError{Code: "not_found", Message: "no such API path", Status: http.StatusNotFound})
	})
	return s.authenticate(mux)
}

// authenticate runs before routing, so that without a key nothing, not
// even which paths exist, is revealed.
func (s *Service) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		studio, ok := s.Authenticate(w, r)
		if !ok {
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), studioKey{}, studio)))
	})
}

// Authenticate returns the studio whose key r carries ("Authorization:
// Bearer <key>"). Otherwise it answers r itself (401 unauthorized, or
// 429 rate_limited) and returns false; a missing or wrong key counts
// toward the address's failures, and an address over its failures is
// refused before its key is even looked at (see AuthLimits). Other
// handlers that studios call (their usage) authenticate through it, so
// that every guess counts the same. Safe for concurrent use.
func (s *Service) Authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	addr := clientAddr(r.RemoteAddr)
	if left, blocked := s.auth.blocked(addr); blocked {
		secs := int((left + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, &APIError{
			Code: "rate_limited", Status: http.StatusTooManyRequests,
			Message: fmt.Sprintf("too many failed authentications from this address (%d within %v); try again in %d s", s.auth.lim.MaxFailures, s.auth.lim.Window, secs),
		})
		return "", false
	}
	studio, ok := s.keys.Studio(bearer(r.Header.Get("Authorization")))
	if !ok {
		if s.auth.fail(addr) {
			s.log.Warn("studio: too many failed authentications; refusing the client for a while", "client", addr,
				"failures", s.auth.lim.MaxFailures, "window", s.auth.lim.Window)
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="stratus studio"`)
		writeError(w, &APIError{Code: "unauthorized", Message: "missing or unknown API key", Status: http.StatusUnauthorized})
		return "", false
	}
	return studio, true
}

func studioOf(r *http.Request) string { s, _ := r.Context().Value(studioKey{}).(string); return s }

func (s *Service) titles(w http.ResponseWriter, r *http.Request) {
	studio := studioOf(r)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		writeJSON(w, http.StatusOK, s.withEdges(r.Context(), s.store.List(studio)...))
	case http.MethodPost:
		m, ok := s.readManifest(w, r)
		if !ok {
			return
		}
		t, err := s.store.Create(studio, m)
		if err != nil {
			s.writeStoreError(w, err)
			return
		}
		s.log.Info("studio title created", "studio", studio, "title", t.ID, "version", t.Version)
		w.Header().Set("Location", TitlesPath+"/"+url.PathEscape(t.ID))
		writeJSON(w, http.StatusCreated, t)
	default:
		methodNotAllowed(w, "GET, HEAD, POST")
	}
}

func (s *Service) title(w http.ResponseWriter, r *http.Request) {
	studio, id := studioOf(r), r.PathValue("id")
	var (
		t   Title
		err error
	)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if t, err = s.store.Get(studio, id); err == nil {
			t = s.withEdges(r.Context(), t)[0]
		}
	case http.MethodPut:
		m, ok := s.readManifest(w, r)
		if !ok {
			return
		}
		if m.ID != id {
			writeError(w, &APIError{
				Code: "bad_manifest", Message: "the manifest's id is not the title in the URL", Status: http.StatusBadRequest,
				Problems: []Problem{{Field: "id", Problem: fmt.Sprintf("%q, but the URL names %q", m.ID, id)}},
			})
			return
		}
		if t, err = s.store.Update(studio, m); err == nil {
			s.log.Info("studio title updated", "studio", studio, "title", id, "version", t.Version)
		}
	case http.MethodDelete:
		if t, err = s.store.Retire(studio, id); err == nil {
			s.log.Info("studio title retired", "studio", studio, "title", id)
		}
	default:
		methodNotAllowed(w, "GET, HEAD, PUT, DELETE")
		return
	}
	if err != nil {
		s.writeStoreError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// withEdges adds what the edges say about each title, when they can be
// asked.
func (s *Service) withEdges(ctx context.Context, ts ...Title) []Title {
	if s.reports == nil || len(ts) == 0 {
		return ts
	}
	reports := s.reports(ctx)
	for i := range ts {
		ts[i].Edges = reports[ts[i].ID]
	}
	return ts
}

// readManifest reads, parses and validates the body, answering 400, 403
// or 413 itself when it fails.
func (s *Service) readManifest(w http.ResponseWriter, r *http.Request) (manifest.Manifest, bool) {
	if id := r.PathValue("id"); id != "" && s.store.isReserved(id) {
		s.writeReserved(w, r, id)
		return manifest.Manifest{}, false
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, &APIError{Code: "too_large", Message: fmt.Sprintf("manifest over %d bytes, the most a manifest may be", MaxBody), Status: http.StatusRequestEntityTooLarge})
		return manifest.Manifest{}, false
	case err != nil:
		writeError(w, &APIError{Code: "bad_request", Message: "reading body: " + err.Error(), Status: http.StatusBadRequest})
		return manifest.Manifest{}, false
	}
	m, err := manifest.Parse(data)
	if err != nil {
		// Parse errors carry line and column but no field: the JSON
		// itself is broken.
		writeError(w, &APIError{Code: "bad_manifest", Message: err.Error(), Status: http.StatusBadRequest})
		return manifest.Manifest{}, false
	}
	// Before validation, so that a reserved id in a spelling the rules
	// refuse anyway ("ROCKS") still gets the answer that says why.
	if s.store.isReserved(m.ID) {
		s.writeReserved(w, r, m.ID)
		return manifest.Manifest{}, false
	}
	if err := m.ValidateStudio(); err != nil {
		e := &APIError{Code: "bad_manifest", Message: "the manifest has problems", Status: http.StatusBadRequest}
		var ve *manifest.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				e.Problems = append(e.Problems, Problem{Field: p.Field, Problem: p.Problem})
			}
		} else {
			e.Message = err.Error()
		}
		writeError(w, e)
		return manifest.Manifest{}, false
	}
	return m, true
}

// writeReserved refuses a reserved id, logged since only an attempt at
// taking over a built-in title, or a studio unaware of it, sends one.
func (s *Service) writeReserved(w http.ResponseWriter, r *http.Request, id string) {
	s.log.Warn("studio: refused a reserved title id", "studio", studioOf(r), "title", id)
	s.writeStoreError(w, fmt.Errorf("title %q: %w", id, ErrReserved))
}

// writeStoreError answers a Store error. Anything that is not a refusal is
// a failure here (a disk error), logged by the Store and not detailed to
// the studio.
func (s *Service) writeStoreError(w http.ResponseWriter, err error) {
	if e, ok := asError(err); ok {
		writeError(w, &APIError{Code: e.Code, Message: err.Error(), Status: e.Status})
		return
	}
	writeError(w, &APIError{Code: "internal", Message: "the catalog could not be saved; try again", Status: http.StatusInternalServerError})
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, &APIError{Code: "method_not_allowed", Message: "allowed: " + allow, Status: http.StatusMethodNotAllowed})
}

func writeError(w http.ResponseWriter, e *APIError) { writeJSON(w, e.Status, e) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	// Studio data is per key: no cache along the way may keep it.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
