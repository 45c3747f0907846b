package signaling

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The Origin rule of the player WebSocket. Browsers send the Origin of the
// page on every WebSocket upgrade, and a page may open a socket to any
// site: the Origin is what stops another site's page from starting
// sessions, and spending a player's quota, on the player's behalf. A
// socket is admitted when its Origin is
//
//   - the origin of the node's own public URL (Config.PublicURL), and, when
//     that URL names a loopback host, the same scheme and port on the other
//     loopback names (localhost, 127.0.0.1, [::1]): the node's own pages;
//   - one of Config.AllowedOrigins;
//   - the public URL of a signaling node of the cluster, listed now or
//     ever (pages fall back here when their node goes away);
//   - when the public URL names no host but every address (0.0.0.0 or ::,
//     the default of a node listening on all of them, in a container for
//     one), the address the request came to, as its Host says, provided
//     it is spelt as an IP address or localhost: such a page was served
//     by whatever answers at that address, which is this node, and no
//     name an attacker controls is involved.
//
// The Host header proves nothing: a site whose name an attacker points at
// the node's address (DNS rebinding) sends its own name as both Host and
// Origin. An empty Origin is no browser's; it is refused unless
// Config.AllowNoOrigin (development) admits tools that send none.

// originOf is the origin of a URL as browsers write it: scheme://host with
// the port only when it is not the scheme's default, in lower case.
func originOf(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", err
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("%q: want an http or https URL", raw)
	}
	if u.Host == "" || u.User != nil {
		return "", fmt.Errorf("%q: want scheme://host[:port]", raw)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// originSet is the origins a node admits besides the cluster's signaling
// nodes; it is built once and only read.
type originSet struct {
	exact map[string]bool
	// anyAddr says the node's public URL names every address: its pages'
	// origins are the IP addresses (and localhost) it is reached at.
	anyAddr bool
}

// admits says whether the set admits origin for a request sent to host.
func (set originSet) admits(origin, host string) bool {
	if set.exact[origin] {
		return true
	}
	if !set.anyAddr {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if !strings.EqualFold(h, "localhost") && net.ParseIP(h) == nil {
		return false
	}
	to, err := originOf(u.Scheme + "://" + host)
	return err == nil && to == origin
}

// newOriginSet admits publicURL's origin, its loopback equivalents, and
// allowed. Entries that are not URLs are skipped (Validate reports the
// public URL; an allowed entry that is no origin can match nothing).
func newOriginSet(publicURL string, allowed []string) originSet {
	set := originSet{exact: map[string]bool{}}
	for _, a := range allowed {
		if o, err := originOf(a); err == nil {
			set.exact[o] = true
		}
	}
	if publicURL == "" {
		return set
	}
	own, err := originOf(publicURL)
	if err != nil {
		return set
	}
	set.exact[own] = true
	u, _ := url.Parse(own)
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
		set.anyAddr = true
		return set
	}
	if !loopbackHost(u.Hostname()) {
		return set
	}
	// A page of a node listening on loopback is opened by the name the
	// developer typed; all of them reach this machine only.
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		hp := h
		if p := u.Port(); p != "" {
			hp = net.JoinHostPort(h, p)
		} else if strings.Contains(h, ":") {
			hp = "[" + h + "]"
		}
		set.exact[u.Scheme+"://"+hp] = true
	}
	return set
}

func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// checkOrigin applies the Origin rule above.
func (s *Server) checkOrigin(r *http.Request) bool {
	raw := r.Header.Get("Origin")
	if raw == "" {
		if s.cfg.AllowNoOrigin {
			return true
		}
		s.log.Warn("websocket refused: no origin", "remote", r.RemoteAddr)
		return false
	}
	origin, err := originOf(raw)
	if err != nil { // "null" (a sandboxed page, a file) and the like
		s.log.Warn("websocket refused: origin not a URL", "origin", raw, "remote", r.RemoteAddr)
		return false
	}
	if s.origins.admits(origin, r.Host) {
		return true
	}
	// Pages served by any signaling node of the cluster fall back to this
	// one when theirs goes away, possibly after gossip has forgotten it.
	for _, u := range s.signals.current() {
		if o, err := originOf(u); err == nil && o == origin {
			return true
		}
	}
	if s.signals.known(origin) {
		return true
	}
	s.log.Warn("websocket refused: origin not allowed", "origin", raw, "host", r.Host, "remote", r.RemoteAddr)
	return false
}
