// Package web serves the player-facing pages of Stratus: the catalog at "/"
// and the play page at "/play?title=<id>", plus their scripts, styles and
// images under "/static/".
//
// Everything is plain HTML, CSS and ES modules embedded in the binary: there
// is no JavaScript build step and nothing is fetched from a CDN, so a node
// serves a working page with no internet access. The pages talk to the
// signaling server over the WebSocket protocol of package signaling (at
// /v1/ws: on the page's own origin first, then on the other signaling nodes
// its greeting lists), measure the round trip to edges with fetch (their
// /v1/probe, cross-origin) and send player input over the two WebRTC data
// channels of package input.
//
// Responses carry "Cache-Control: no-cache" with a content-hash ETag, so a
// browser revalidates every load (cheaply, with 304s) and a new build shows
// up at once.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed static
var staticFS embed.FS

// contentTypes pins the types of what we ship. mime.TypeByExtension consults
// the host's /etc/mime.types, which varies between machines; module scripts
// in particular are refused by browsers unless served as JavaScript.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
	".woff2":       "font/woff2",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// asset is one embedded file, read once at start-up.
type asset struct {
	name string // base name, for http.ServeContent
	data []byte
	typ  string
	etag string
}

type handler struct {
	assets map[string]*asset // by URL path: "/", "/play", "/static/…"
}

// Handler returns the HTTP handler for the player pages. Mount it at "/";
// the signaling WebSocket (/v1/ws) is served by the signaling package on
// the same origin.
func Handler() http.Handler { return &handler{assets: loadAssets()} }

// loadAssets reads and hashes the embedded files once per process.
var loadAssets = sync.OnceValue(func() map[string]*asset {
	assets := make(map[string]*asset)
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		assets["/"+p] = &asset{
			name: path.Base(p),
			data: data,
			typ:  contentType(p),
			etag: `"` + hex.EncodeToString(sum[:8]) + `"`,
		}
		return nil
	})
	if err != nil {
		// The files are compiled in; failing to read them is a build defect.
		panic("web: reading embedded files: " + err.Error())
	}
	assets["/"] = assets["/static/index.html"]
	assets["/play"] = assets["/static/play.html"]
	return assets
})

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := h.assets[r.URL.Path]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.typ)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", a.etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	// ServeContent answers If-None-Match with 304 and handles HEAD and
	// ranges. The zero modtime leaves Last-Modified out; the ETag is the
	// validator.
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.data))
}
