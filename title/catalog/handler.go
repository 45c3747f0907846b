package catalog

import (
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Source is the catalog a Handler serves. Both methods are called from
// many request goroutines at once.
type Source interface {
	Snapshot() Snapshot
	// Changed returns a channel closed at the next change.
	Changed() <-chan struct{}
}

// Handler serves GET Path from src. With token set, requests must carry
// "Authorization: Bearer <token>". Long polls end early when stop closes,
// so that a server shutting down is not held by them.
func Handler(src Source, token string, stop <-chan struct{}, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if token != "" && !authorized(r, token) {
			http.Error(w, "catalog: missing or wrong cluster token", http.StatusUnauthorized)
			return
		}
		q := r.URL.Query()
		var after uint64
		if s := q.Get(ParamAfter); s != "" {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				http.Error(w, "catalog: after: not a revision", http.StatusBadRequest)
				return
			}
			after = v
		}
		var wait time.Duration
		if s := q.Get(ParamWait); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d < 0 {
				http.Error(w, "catalog: wait: not a duration", http.StatusBadRequest)
				return
			}
			wait = min(d, MaxWait)
		}
		// Take the channel before the snapshot: a change between the two
		// then closes the channel we wait on instead of being missed.
		changed := src.Changed()
		snap := src.Snapshot()
		if snap.Revision <= after && wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-changed:
				snap = src.Snapshot()
			case <-t.C:
			case <-stop:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(snap.Revision, 10)))
		if snap.Revision <= after {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(snap); err != nil {
			log.Debug("catalog: writing answer", "err", err)
		}
	})
}

func authorized(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}
