package edge

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"stratus/cluster"
	"stratus/edge/gpu"
	"stratus/session"
	"stratus/stream"
	"stratus/title/catalog"
	"stratus/trust"
)

// Config is an edge node's configuration.
type Config struct {
	// Name identifies the edge to players and operators.
	Name string
	// Region groups edges that are close to each other.
	Region string
	// Capacity is how many sessions the edge encodes in software (x264)
	// at once. Each 720p60 session costs about one core, so the default
	// matches a small machine. Sessions on NVENC cost the CPU little, so
	// they come on top: the edge admits Capacity plus the NVENC sessions
	// its GPUs allow (GPUSessions per GPU with an encoder engine, fewer
	// where GPU memory runs short, none on a lost GPU). A session goes to
	// a GPU with room when there is one, else to software; a session whose
	// GPU fails carries on in software, even beyond Capacity, rather than
	// end.
	Capacity int
	// GPUSessions is the most NVENC sessions the edge puts on one GPU,
	// counting other processes' encoder sessions too (GeForce drivers cap
	// them per GPU); 0 turns NVENC off.
	GPUSessions int
	// GPUSessionMiB is the GPU memory one session needs, in MiB; a GPU
	// takes no more sessions than its memory holds. 0 means no bound.
	GPUSessionMiB int
	// Bitrate is where each session's encoder starts, in bit/s, before
	// the congestion controller has an estimate.
	Bitrate int
	// EncoderThreads bounds x264 threads per session; 0 lets x264 choose.
	EncoderThreads int
	// Nice is the scheduling priority the edge's process asks for (-20 to
	// 19, lower runs first; 0 leaves it as started). An edge's frame loop,
	// encoder and packet sending are on every frame's path, and a frame
	// that waits for a core behind other work can miss its display
	// refresh. Off by default: on a two-core machine shared with the
	// browser, -10 did not measurably shorten the latency tail
	// (benchmarks/README.md). A negative value needs CAP_SYS_NICE; without
	// it the edge says so and runs as it is.
	Nice int
	// IdleTimeout ends sessions without player input for this long.
	IdleTimeout time.Duration
	// DisconnectGrace is how long a session whose connection dropped is
	// kept before it ends; the page usually rejoins sooner, as a new session.
	DisconnectGrace time.Duration
	// Stream configures the WebRTC side.
	Stream stream.Config

	// ProbeDelay is added to every answer of the RTT probe (GET /v1/probe).
	// Only for tests and demos: it makes "near" and "far" edges on one
	// machine.
	ProbeDelay time.Duration
	// SnapshotEvery is how often titles that can save their state send it
	// to the player's page, to resume from on another edge.
	SnapshotEvery time.Duration
	// StateKey signs resume tokens. Every edge of a cluster needs the same
	// key to resume each other's players; empty means a random key, good for
	// one edge alone.
	StateKey []byte
	// UsageDir, when set, is where the edge journals its sessions' usage
	// (package edge/usage), signed with UsageKey, its node key; Operator
	// is who runs it, written in every record.
	UsageDir string
	UsageKey ed25519.PrivateKey
	Operator string
	// TicketKey checks the tickets signaling nodes send with each call of
	// the control API, and OperatorToken the operator's calls (package
	// trust). With neither, the control API is open: an edge alone, for
	// development.
	TicketKey     []byte
	OperatorToken trust.Token
	// Standbys is the most standby connections the edge holds at once
	// (standby.go): each is a peer connection and its beat, no title and
	// no encoder, so they do not count against Capacity. 0 takes none.
	Standbys int
	// StandbyIdle closes a standby whose page has sent nothing on it for
	// this long (pages send each new resume token, and keep it alive
	// every few seconds).
	StandbyIdle time.Duration
	// DrainTimeout bounds a drain: players not gone by then are ended.
	DrainTimeout time.Duration
	// StallAfter ends a session whose game or encoder has not answered
	// one call for this long (the session's watchdog); 0 means the
	// session package's default.
	StallAfter time.Duration

	// Gossip, when set, makes the edge a member of its region's pool, so
	// that signaling nodes learn it exists, where it is and how loaded.
	Gossip *cluster.PoolConfig
	// Location is where the edge stands, for routing players who have not
	// measured their round trip.
	Location cluster.Location
	// ProbeURL, when set, is the base URL of a listener of its own that
	// serves pages the RTT probe (ProbeHandler); the edge API then serves
	// only signaling nodes and the operator. Empty: the API serves it.
	ProbeURL string
	// APIURL is the edge API's base URL as signaling nodes and pages reach
	// it (it also serves the RTT probe); cmd sets it from the listener.
	APIURL string

	// TitlesDir is where the operator installs studio titles, one
	// directory per title id; empty: the edge runs built-in titles only.
	TitlesDir string
	// Runtime starts process titles; nil: the edge runs none.
	Runtime Runtime `json:"-"`
	// CatalogURLs are signaling nodes serving the studio catalog, for an
	// edge without gossip; with gossip the edge finds them itself.
	CatalogURLs []string
	// CatalogToken is what the signaling nodes require for the catalog
	// (cluster.DeriveToken of the cluster key, for cluster.PurposeCatalog); empty when they require none.
	CatalogToken string `json:"-"`
	// CatalogWait is how long one catalog request waits for a change:
	// changes arrive at once, and between them the edge checks its titles
	// again (an operator may have installed one) this often.
	CatalogWait time.Duration

	// Misbehave makes the edge lie, for tests that check the network
	// catches it (misbehave.go); empty in production, where cmd refuses
	// to set it without STRATUS_TEST_HOOKS=1.
	Misbehave Misbehavior
}

// DefaultConfig returns the defaults for one edge on one machine.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	if host == "" {
		host = "edge"
	}
	sc := stream.DefaultConfig()
	gl := gpu.DefaultLimits()
	return Config{
		Name:     host,
		Region:   "local",
		Capacity: 2,
		// What a GeForce card on a current driver allows, at 720p60.
		GPUSessions:   gl.SessionsPerGPU,
		GPUSessionMiB: int(gl.MemoryPerSession >> 20),
		// Start where the congestion controller starts.
		Bitrate:         sc.StartBitrate,
		IdleTimeout:     10 * time.Minute,
		DisconnectGrace: 5 * time.Second,
		Stream:          sc,
		// Once a second loses at most a second of play when an edge dies,
		// for about 2 KB a second on the player's input channel.
		SnapshotEvery: time.Second,
		// Moved players are back within a second or two; 30 s also lets a
		// player who refuses to move finish a short round.
		DrainTimeout: 30 * time.Second,
		// Far above any real frame (milliseconds), short enough that a
		// frozen game frees its slot before its player gives up.
		StallAfter:  session.DefaultStallAfter,
		CatalogWait: 10 * time.Second,
		// A few players' failover per slot: standbys cost a connection each.
		Standbys: 8,
		// Pages keep their standby alive every 5 s; three missed is gone.
		StandbyIdle: 15 * time.Second,
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("edge: name is empty"))
	}
	if c.UsageDir != "" && len(c.UsageKey) != ed25519.PrivateKeySize {
		errs = append(errs, errors.New("edge: a usage journal needs the edge's node key to sign its records"))
	}
	if c.Region == "" {
		errs = append(errs, errors.New("edge: region is empty"))
	}
	if c.Capacity < 1 {
		errs = append(errs, fmt.Errorf("edge: capacity %d: must be at least 1", c.Capacity))
	}
	if c.GPUSessions < 0 || c.GPUSessionMiB < 0 {
		errs = append(errs, fmt.Errorf("edge: gpu sessions %d, gpu session MiB %d: must not be negative", c.GPUSessions, c.GPUSessionMiB))
	}
	if c.Bitrate < 100_000 {
		errs = append(errs, fmt.Errorf("edge: bitrate %d: must be at least 100000", c.Bitrate))
	}
	if c.Nice < -20 || c.Nice > 19 {
		errs = append(errs, fmt.Errorf("edge: nice %d: want -20 to 19", c.Nice))
	}
	if c.EncoderThreads < 0 {
		errs = append(errs, fmt.Errorf("edge: encoder threads %d: must not be negative", c.EncoderThreads))
	}
	if c.IdleTimeout < 0 || c.DisconnectGrace < 0 || c.ProbeDelay < 0 || c.SnapshotEvery < 0 || c.DrainTimeout < 0 || c.StallAfter < 0 {
		errs = append(errs, errors.New("edge: timeouts must not be negative"))
	}
	if c.Standbys < 0 || (c.Standbys > 0 && c.StandbyIdle <= 0) {
		errs = append(errs, fmt.Errorf("edge: standbys %d, standby idle %v: standbys must not be negative, and need an idle limit", c.Standbys, c.StandbyIdle))
	}
	if c.CatalogWait < 0 || c.CatalogWait > catalog.MaxWait {
		errs = append(errs, fmt.Errorf("edge: catalog wait %v: must be between 0 and %v", c.CatalogWait, catalog.MaxWait))
	}
	for _, u := range c.CatalogURLs {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("edge: catalog URL %q: want http(s)://host[:port]", u))
		}
	}
	if c.Runtime != nil && c.TitlesDir == "" {
		errs = append(errs, errors.New("edge: a process runtime needs a titles directory"))
	}
	if err := c.Stream.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Misbehave.check(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// gpuLimits are the per-GPU bounds admission places NVENC sessions under.
func (c Config) gpuLimits() gpu.Limits {
	return gpu.Limits{SessionsPerGPU: c.GPUSessions, MemoryPerSession: uint64(c.GPUSessionMiB) << 20}
}
