package studio

import (
	"container/list"
	"errors"
	"net"
	"sync"
	"time"
)

// AuthLimits bound failed authentications per client address, so that API
// keys cannot be guessed by trying: after MaxFailures failures within
// Window, every request from that address is refused until the window
// ends, one with a right key too, so that a guesser learns nothing from
// the answers while refused.
type AuthLimits struct {
	// MaxFailures is how many failed authentications an address may
	// make within one Window.
	MaxFailures int
	// Window is the length of the fixed window that counts failures,
	// starting at an address's first failure.
	Window time.Duration
	// MaxClients is how many addresses are tracked at once; past it the
	// one whose window started first is forgotten, so that memory stays
	// bounded whatever the number of addresses trying.
	MaxClients int
}

// Defaults of AuthLimits; a zero field takes its default.
const (
	// DefaultAuthFailures: a studio's tool with a stale key fails once
	// per command; ten lets a person retype a key a few times, while ten
	// guesses a minute against keys of MinKeyLen characters or more is
	// no search at all.
	DefaultAuthFailures = 10
	// DefaultAuthWindow: a minute is short enough that a locked-out
	// studio waits little once its key is fixed.
	DefaultAuthWindow = time.Minute
	// DefaultAuthClients: each tracked address costs about a hundred
	// bytes; ten thousand is a megabyte, more than honest studios ever
	// need at once.
	DefaultAuthClients = 10000
)

func (l AuthLimits) withDefaults() AuthLimits {
	l.MaxFailures = orDefault(l.MaxFailures, DefaultAuthFailures)
	l.Window = orDefault(l.Window, DefaultAuthWindow)
	l.MaxClients = orDefault(l.MaxClients, DefaultAuthClients)
	return l
}

// validate reports every problem at once.
func (l AuthLimits) validate() error {
	return errors.Join(
		notNegative("auth max failures", l.MaxFailures, DefaultAuthFailures),
		notNegative("auth window", l.Window, DefaultAuthWindow),
		notNegative("auth max clients", l.MaxClients, DefaultAuthClients),
	)
}

// authLimiter counts failed authentications per address in fixed windows.
// It is safe for concurrent use. A success changes no count, not even its
// own address's: otherwise a studio with a valid key could clear its
// address's failures between guesses at other studios' keys.
type authLimiter struct {
	lim AuthLimits
	now func() time.Time

	mu sync.Mutex
	// byAddr holds each tracked address's element in order, whose Value
	// is a *authWindow; order runs from the oldest window start to the
	// newest, so eviction takes the front.
	byAddr map[string]*list.Element
	order  *list.List
}

type authWindow struct {
	addr     string
	start    time.Time
	failures int
}

func newAuthLimiter(lim AuthLimits) *authLimiter {
	return &authLimiter{lim: lim.withDefaults(), now: time.Now, byAddr: map[string]*list.Element{}, order: list.New()}
}

// blocked reports whether addr is refused now, and for how long still.
func (a *authLimiter) blocked(addr string) (time.Duration, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	el, ok := a.byAddr[addr]
	if !ok {
		return 0, false
	}
	w := el.Value.(*authWindow)
	left := w.start.Add(a.lim.Window).Sub(a.now())
	if left <= 0 {
		a.order.Remove(el)
		delete(a.byAddr, addr)
		return 0, false
	}
	return left, w.failures >= a.lim.MaxFailures
}

// fail counts one failed authentication from addr; it reports whether
// this one reached the limit, so that the refusal is logged once.
func (a *authLimiter) fail(addr string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if el, ok := a.byAddr[addr]; ok {
		w := el.Value.(*authWindow)
		if now.Before(w.start.Add(a.lim.Window)) {
			w.failures++
			return w.failures == a.lim.MaxFailures
		}
		a.order.Remove(el)
		delete(a.byAddr, addr)
	}
	a.expire(now)
	for a.order.Len() >= a.lim.MaxClients {
		a.drop(a.order.Front())
	}
	a.byAddr[addr] = a.order.PushBack(&authWindow{addr: addr, start: now, failures: 1})
	return a.lim.MaxFailures == 1
}

// expire forgets windows that have ended, oldest first. Callers hold a.mu.
func (a *authLimiter) expire(now time.Time) {
	for el := a.order.Front(); el != nil; el = a.order.Front() {
		if now.Before(el.Value.(*authWindow).start.Add(a.lim.Window)) {
			return
		}
		a.drop(el)
	}
}

func (a *authLimiter) drop(el *list.Element) {
	a.order.Remove(el)
	delete(a.byAddr, el.Value.(*authWindow).addr)
}

// tracked is the number of addresses tracked, for tests.
func (a *authLimiter) tracked() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.byAddr)
}

// clientAddr is the address failures are counted against: the host of
// the connection's remote address. Forwarding headers are ignored, since
// anyone can set them; behind a proxy every studio shares the proxy's
// address, and the proxy should do its own limiting.
func clientAddr(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}
