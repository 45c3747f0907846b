package signaling

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"stratus/turn"
)

// TURN is what a node needs to hand joined pages a relay: the TURN
// servers of each region and the secret their credentials are made with
// (package turn).
type TURN struct {
	// Secret is the TURN servers' shared secret.
	Secret []byte
	// URLs are the ICE server URLs by region ("turn:host:port?transport=udp",
	// "turns:…"); the "" entry serves regions not named.
	URLs map[string][]string
	// TTL is how long after the join a credential makes allocations. The
	// page allocates right after "joined", and again when it rejoins, with
	// the fresh credential of that join.
	TTL time.Duration
}

// DefaultTURNTTL covers a page that allocates late (a slow TCP or TLS
// handshake, a busy phone) while keeping a leaked credential short-lived.
const DefaultTURNTTL = 5 * time.Minute

// MaxTURNURLs bounds the URLs of one region: a page tries every one, and
// each costs it an allocation.
const MaxTURNURLs = 8

// Validate reports every problem at once.
func (t *TURN) Validate() error {
	var errs []error
	if len(t.Secret) < 16 {
		errs = append(errs, fmt.Errorf("signaling: turn secret of %d bytes, want at least 16", len(t.Secret)))
	}
	if t.TTL < 30*time.Second || t.TTL > time.Hour {
		errs = append(errs, fmt.Errorf("signaling: turn credential lifetime %v: want 30s to 1h", t.TTL))
	}
	if len(t.URLs) == 0 {
		errs = append(errs, errors.New("signaling: turn: no URLs"))
	}
	for region, urls := range t.URLs {
		if len(urls) == 0 || len(urls) > MaxTURNURLs {
			errs = append(errs, fmt.Errorf("signaling: turn: region %q has %d URLs, want 1 to %d", region, len(urls), MaxTURNURLs))
		}
		for _, u := range urls {
			if !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
				errs = append(errs, fmt.Errorf("signaling: turn: URL %q: want turn: or turns:", u))
			}
		}
	}
	return errors.Join(errs...)
}

// ICEServer is one entry of the page's RTCConfiguration.iceServers.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// iceServers are the relays of region with a credential for session, or
// nil where there are none.
func (t *TURN) iceServers(region, session string, now time.Time) []ICEServer {
	if t == nil {
		return nil
	}
	urls, ok := t.URLs[region]
	if !ok {
		urls = t.URLs[""]
	}
	if len(urls) == 0 {
		return nil
	}
	c := turn.Issue(t.Secret, session, t.TTL, now)
	return []ICEServer{{URLs: urls, Username: c.Username, Credential: c.Password}}
}
