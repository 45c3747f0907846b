package netem

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// DefaultMTU is the links' MTU when LinkConfig names none: Ethernet's, which
// is what Pion and Chromium size their packets for.
const DefaultMTU = 1500

// tunQueueLen is the TUN devices' transmit queue, in packets: the packets
// the kernel holds for this process to read. The default 500 is 90 ms of
// small packets at 10 Mbit/s, which a busy 2-core machine can fail to
// serve; past it the kernel drops (see DeviceDrops). 10000 rides out
// second-long stalls at that rate.
const tunQueueLen = "10000"

// LinkConfig describes a shaped link between the host and a namespace.
type LinkConfig struct {
	// Namespace gets the link's far end; its Prefix gives the addresses.
	Namespace *Namespace
	// Impairment is the shaping at the start; Set changes it.
	Impairment Impairment
	// MTU of both devices; 0: DefaultMTU. 576 to 65535.
	MTU int
	// Seed makes the loss and jitter draws repeatable; 0: a random seed.
	Seed uint64
	// Logger; nil: the namespace's.
	Logger *slog.Logger
}

// Link joins the host to a namespace by two TUN devices, the host's
// ("sn<id>h", address Namespace.HostAddr) and the namespace's ("sn<id>n",
// address Namespace.Addr, also its default route), and copies packets
// between them through one shaper per direction. It owns four goroutines,
// ended by Close. Its methods are safe for concurrent use; Close is safe
// twice, and the namespace's Close closes it too.
type Link struct {
	ns       *Namespace
	hostDev  string
	nsDev    string
	log      *slog.Logger
	host, nn *os.File
	done     chan struct{}
	wg       sync.WaitGroup
	to, from *direction

	closeOnce sync.Once
	closeErr  error
}

// NewLink creates the two devices, addresses them and starts shaping.
func NewLink(cfg LinkConfig) (*Link, error) {
	var errs []error
	if cfg.Namespace == nil {
		errs = append(errs, errors.New("netem: link: no namespace"))
	}
	if cfg.MTU == 0 {
		cfg.MTU = DefaultMTU
	}
	if cfg.MTU < 576 || cfg.MTU > 65535 {
		errs = append(errs, fmt.Errorf("netem: link: MTU %d: must be 576 to 65535", cfg.MTU))
	}
	errs = append(errs, cfg.Impairment.Validate())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ns := cfg.Namespace
	if err := ns.claim(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = ns.log
	}
	if cfg.Seed == 0 {
		cfg.Seed = rand.Uint64()
	}
	hostDev, nsDev := ns.devName("h"), ns.devName("n")
	l := &Link{ns: ns, hostDev: hostDev, nsDev: nsDev, log: log, done: make(chan struct{})}
	mtu := strconv.Itoa(cfg.MTU)
	var err error
	if l.host, err = openTUN(hostDev); err != nil {
		return nil, err
	}
	if err := ns.Do(func() (err error) {
		l.nn, err = openTUN(nsDev) // created in the namespace of the opening thread
		return err
	}); err != nil {
		l.host.Close()
		return nil, err
	}
	steps := []error{
		// addrgenmode none: no IPv6 link-local address, so no router
		// solicitations or MLD reports mingle with a test's packets.
		run("ip", "link", "set", "dev", hostDev, "mtu", mtu, "txqueuelen", tunQueueLen, "addrgenmode", "none", "up"),
		run("ip", "addr", "add", ns.HostAddr().String()+"/30", "dev", hostDev),
		ns.run("ip", "link", "set", "dev", nsDev, "mtu", mtu, "txqueuelen", tunQueueLen, "addrgenmode", "none", "up"),
		ns.run("ip", "addr", "add", ns.Addr().String()+"/30", "dev", nsDev),
		ns.run("ip", "route", "add", "default", "dev", nsDev),
	}
	if err := errors.Join(steps...); err != nil {
		l.host.Close()
		l.nn.Close()
		return nil, fmt.Errorf("netem: link: %w", err)
	}
	l.to = newDirection(l.host, l.nn, l.done, cfg.Impairment.ToNamespace, cfg.Seed, log.With("dir", "to namespace"))
	l.from = newDirection(l.nn, l.host, l.done, cfg.Impairment.FromNamespace, cfg.Seed+1, log.With("dir", "from namespace"))
	for _, d := range []*direction{l.to, l.from} {
		l.wg.Add(2)
		go func() { defer l.wg.Done(); d.readLoop() }()
		go func() { defer l.wg.Done(); d.writeLoop() }()
	}
	ns.onClose(l.Close)
	log.Debug("netem: link up", "host", hostDev, "namespace", nsDev)
	return l, nil
}

// openTUN creates a TUN device (IP packets, no extra header) owned by the
// returned file. The fd is non-blocking, so that Close interrupts a pending
// Read; the device goes away when the file is closed.
func openTUN(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("netem: open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netem: TUN name %q: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netem: create TUN device %s: %w", name, err)
	}
	return os.NewFile(uintptr(fd), "tun:"+name), nil
}

// Set changes the shaping of both directions at once, for the packets read
// from now on; packets already delayed or queued keep their times.
func (l *Link) Set(im Impairment) error {
	if err := im.Validate(); err != nil {
		return err
	}
	l.to.set(im.ToNamespace)
	l.from.set(im.FromNamespace)
	return nil
}

// Stats are a Link's counters by direction.
type Stats struct {
	ToNamespace, FromNamespace DirStats
}

// Stats returns the counters so far. Packets still delayed or queued are
// counted as read but neither passed nor dropped.
func (l *Link) Stats() Stats {
	return Stats{ToNamespace: l.to.stats(), FromNamespace: l.from.stats()}
}

// DeviceDrops are the packets the kernel dropped before this process read
// them, because a device's transmit queue was full: the process was not
// scheduled for too long. They are not the shaper's doing, and a benchmark
// should report them. It starts a process (to read the namespace's device).
func (l *Link) DeviceDrops() (toNamespace, fromNamespace uint64, err error) {
	toNamespace, err1 := deviceStat(nil, l.hostDev, "tx_dropped")
	fromNamespace, err2 := deviceStat(l.ns, l.nsDev, "tx_dropped")
	return toNamespace, fromNamespace, errors.Join(err1, err2)
}

// deviceStat reads one of dev's counters (/sys/class/net/dev/statistics),
// on the host, or in ns when it is not nil.
func deviceStat(ns *Namespace, dev, name string) (uint64, error) {
	file := "/sys/class/net/" + dev + "/statistics/" + name
	var b []byte
	var err error
	if ns == nil {
		b, err = os.ReadFile(file)
	} else {
		// ip netns exec mounts the namespace's own /sys.
		b, err = ns.Command("cat", file).Output()
	}
	if err != nil {
		return 0, fmt.Errorf("netem: %s %s: %w", dev, name, err)
	}
	return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
}

// Close stops shaping, drops what is still in flight and removes both devices.
func (l *Link) Close() error {
	l.closeOnce.Do(func() {
		close(l.done)
		l.closeErr = errors.Join(l.host.Close(), l.nn.Close())
		l.wg.Wait()
		l.log.Debug("netem: link down", "stats", fmt.Sprintf("%+v", l.Stats()))
	})
	return l.closeErr
}
