package netem

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Names: a namespace is "stnetem-<id>", its devices "sn<id><side>", host nft
// tables "stratus_netem_<pid36>_<rand>", where <id> is the process id in
// base 36, a dash and four random base-36 characters. The pid lets the sweep
// tell leftovers of dead processes from those of live ones; the random part
// keeps namespaces of one process apart without a package counter. Device
// names stay within the kernel's 15 characters.
const (
	nsPrefix  = "stnetem-"
	devPrefix = "sn"
	nftPrefix = "stratus_netem_"
	netnsDir  = "/run/netns"
)

// linkRange is where namespaces take their /30: the shared address space
// (RFC 6598), which no test machine routes, so a link never shadows a real
// network. 2^20 /30s make a clash between parallel processes unlikely, and a
// /30 already on a host interface is skipped.
var linkRange = netip.MustParsePrefix("100.64.0.0/10")

// NamespaceConfig describes a namespace.
type NamespaceConfig struct {
	// Logger gets what was created and removed. Nil: discarded.
	Logger *slog.Logger
}

// Namespace is a network namespace the harness created, with loopback up
// and a /30 for the link to the host. Its methods are safe for concurrent
// use; Close is safe twice.
type Namespace struct {
	name   string
	id     string
	nsfd   int
	prefix netip.Prefix
	log    *slog.Logger

	mu      sync.Mutex
	closed  bool
	linked  bool           // a Link or Veth holds the /30
	cleanup []func() error // host-side leftovers of links, run by Close in reverse
}

// NewNamespace sweeps what dead processes left behind, then creates a
// namespace with loopback up.
func NewNamespace(cfg NamespaceConfig) (*Namespace, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	Sweep(log)
	pid36 := strconv.FormatInt(int64(os.Getpid()), 36)
	var (
		id, name string
		err      error
	)
	for range 5 { // a random suffix may clash with one of our own
		id = pid36 + "-" + randBase36(4)
		name = nsPrefix + id
		if err = run("ip", "netns", "add", name); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("netem: create namespace: %w", err)
	}
	n := &Namespace{name: name, id: id, nsfd: -1, log: log.With("netns", name)}
	fail := func(err error) (*Namespace, error) {
		n.Close()
		return nil, err
	}
	n.nsfd, err = unix.Open(netnsDir+"/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail(fmt.Errorf("netem: open namespace %s: %w", name, err))
	}
	if err := n.run("ip", "link", "set", "lo", "up"); err != nil {
		return fail(fmt.Errorf("netem: loopback up in %s: %w", name, err))
	}
	if n.prefix, err = freePrefix(); err != nil {
		return fail(err)
	}
	n.log.Debug("netem: namespace created", "prefix", n.prefix)
	return n, nil
}

// Name is the namespace's name, as `ip netns` knows it.
func (n *Namespace) Name() string { return n.name }

// Prefix is the /30 of the namespace's link to the host.
func (n *Namespace) Prefix() netip.Prefix { return n.prefix }

// HostAddr is the host's address on the link: what a program in the
// namespace connects to for a server on the host.
func (n *Namespace) HostAddr() netip.Addr { return n.prefix.Addr().Next() }

// Addr is the namespace's address on the link.
func (n *Namespace) Addr() netip.Addr { return n.HostAddr().Next() }

// devName names a device of this namespace's link; side tells the two ends apart.
func (n *Namespace) devName(side string) string { return devPrefix + n.id + side }

// Command runs a program inside the namespace (through `ip netns exec`).
func (n *Namespace) Command(name string, args ...string) *exec.Cmd {
	prefix := n.CommandPrefix()
	return exec.Command(prefix[0], append(append(prefix[1:], name), args...)...)
}

// CommandPrefix is the command line that runs what follows it inside the
// namespace, for programs started by other code (browser.Wrap).
func (n *Namespace) CommandPrefix() []string { return []string{"ip", "netns", "exec", n.name} }

// run runs a program inside the namespace and reports its output on failure.
func (n *Namespace) run(name string, args ...string) error {
	return runCmd(n.Command(name, args...))
}

// Do runs fn on an OS thread that is in the namespace, and waits for it.
// Sockets fn opens stay in the namespace for their whole life, wherever
// they are used later. fn runs on a goroutine of its own, locked to its
// thread; should the thread fail to return to its namespace it is not
// unlocked, so Go ends it with the goroutine instead of reusing it.
func (n *Namespace) Do(fn func() error) error {
	// A copy of the namespace's fd, so that a Close meanwhile cannot
	// close the one this call is using.
	n.mu.Lock()
	nsfd := -1
	var err error
	if !n.closed && n.nsfd >= 0 {
		nsfd, err = unix.FcntlInt(uintptr(n.nsfd), unix.F_DUPFD_CLOEXEC, 0)
	}
	n.mu.Unlock()
	if err != nil {
		return fmt.Errorf("netem: namespace %s: %w", n.name, err)
	}
	if nsfd < 0 {
		return fmt.Errorf("netem: namespace %s is closed", n.name)
	}
	defer unix.Close(nsfd)
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("netem: open own namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("netem: enter %s: %w", n.name, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			done <- errors.Join(ferr, fmt.Errorf("netem: leave %s: %w", n.name, err))
			return // still locked: the thread ends with this goroutine
		}
		runtime.UnlockOSThread()
		done <- ferr
	}()
	return <-done
}

// ListenPacket is net.ListenPacket inside the namespace.
func (n *Namespace) ListenPacket(network, address string) (net.PacketConn, error) {
	var pc net.PacketConn
	err := n.Do(func() (err error) {
		pc, err = net.ListenPacket(network, address)
		return err
	})
	return pc, err
}

// Listen is net.Listen inside the namespace.
func (n *Namespace) Listen(network, address string) (net.Listener, error) {
	var l net.Listener
	err := n.Do(func() (err error) {
		l, err = net.Listen(network, address)
		return err
	})
	return l, err
}

// Dial is net.Dial from inside the namespace.
func (n *Namespace) Dial(network, address string) (net.Conn, error) {
	var c net.Conn
	err := n.Do(func() (err error) {
		c, err = net.Dial(network, address)
		return err
	})
	return c, err
}

// claim reserves the namespace's /30 for one link.
func (n *Namespace) claim() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.closed:
		return fmt.Errorf("netem: namespace %s is closed", n.name)
	case n.linked:
		return fmt.Errorf("netem: namespace %s already has a link (one per namespace: they share its /30)", n.name)
	}
	n.linked = true
	return nil
}

// onClose registers the removal of something created on the host for this
// namespace; Close runs it even when its owner was not closed.
func (n *Namespace) onClose(f func() error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cleanup = append(n.cleanup, f)
}

// Close removes the namespace (with every device in it) and whatever its
// links created on the host.
func (n *Namespace) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	cleanup := n.cleanup
	n.cleanup = nil
	n.mu.Unlock()
	var errs []error
	for i := len(cleanup) - 1; i >= 0; i-- {
		errs = append(errs, cleanup[i]())
	}
	if n.nsfd >= 0 {
		unix.Close(n.nsfd)
	}
	if err := run("ip", "netns", "del", n.name); err != nil {
		errs = append(errs, fmt.Errorf("netem: delete namespace: %w", err))
	}
	n.log.Debug("netem: namespace removed")
	return errors.Join(errs...)
}

// Sweep removes namespaces, host devices and host nft tables that this
// package created in processes that no longer run. NewNamespace calls it;
// errors are logged, not returned, since another process may be sweeping
// the same leftovers.
func Sweep(log *slog.Logger) {
	if ents, err := os.ReadDir(netnsDir); err == nil {
		for _, e := range ents {
			if id, ok := strings.CutPrefix(e.Name(), nsPrefix); ok && deadOwner(id) {
				log.Info("netem: removing stale namespace", "netns", e.Name())
				if err := run("ip", "netns", "del", e.Name()); err != nil {
					log.Warn("netem: sweep", "err", err)
				}
			}
		}
	}
	if ifs, err := net.Interfaces(); err == nil {
		for _, ifc := range ifs {
			if id, ok := strings.CutPrefix(ifc.Name, devPrefix); ok && deadOwner(id) {
				log.Info("netem: removing stale device", "dev", ifc.Name)
				if err := run("ip", "link", "del", ifc.Name); err != nil {
					log.Warn("netem: sweep", "err", err)
				}
			}
		}
	}
	if out, err := exec.Command("nft", "list", "tables").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line) // "table inet stratus_netem_..."
			if len(f) != 3 {
				continue
			}
			if id, ok := strings.CutPrefix(f[2], nftPrefix); ok && deadOwner(strings.ReplaceAll(id, "_", "-")) {
				log.Info("netem: removing stale nft table", "table", f[2])
				if err := run("nft", "delete", "table", f[1], f[2]); err != nil {
					log.Warn("netem: sweep", "err", err)
				}
			}
		}
	}
}

// deadOwner reports whether id ("<pid36>-...") names a process that is gone.
func deadOwner(id string) bool {
	pid36, _, ok := strings.Cut(id, "-")
	if !ok {
		return false
	}
	pid, err := strconv.ParseInt(pid36, 36, 32)
	if err != nil || pid <= 0 || int(pid) == os.Getpid() {
		return false
	}
	_, err = os.Stat("/proc/" + strconv.FormatInt(pid, 10))
	return errors.Is(err, os.ErrNotExist)
}

// freePrefix picks a random /30 of linkRange that no host interface uses.
func freePrefix() (netip.Prefix, error) {
	var used []netip.Prefix
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				used = append(used, p)
			}
		}
	}
	base := linkRange.Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16
	for range 100 {
		v := start + rand.Uint32N(1<<(32-linkRange.Bits()-2))<<2
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), 30)
		clash := false
		for _, u := range used {
			if u.Overlaps(p) {
				clash = true
				break
			}
		}
		if !clash {
			return p, nil
		}
	}
	return netip.Prefix{}, errors.New("netem: no free /30 in " + linkRange.String())
}

func randBase36(n int) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rand.IntN(len(digits))]
	}
	return string(b)
}

// run runs a program on the host and reports its output on failure.
func run(name string, args ...string) error { return runCmd(exec.Command(name, args...)) }

func runCmd(cmd *exec.Cmd) error {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}
