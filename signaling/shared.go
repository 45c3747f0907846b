package signaling

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"stratus/checker/qos"
	"stratus/cluster"
	"stratus/ledger"
	"stratus/trust/enroll"
)

// Signaling nodes that share a ledger (one PostgreSQL, or one SQLite file
// in a shared data directory) share what each learns of the edges: the
// checkers' reports each takes, so that every node's routing weighs every
// check, and the refusals each judges lies, so that conviction counts them
// all (refusals.go). Each node writes its own to the ledger
// (ledger/shared.go) and follows the rows the others wrote by id, every
// sharedEvery. A row is believed no more than a POST: a report only with
// the signature of a checker the network enrolled, as handleCheck takes
// it; a verdict only with the signature of a signaling node the network
// enrolled (Registry.Certify), over the edge and the time. Rows that fail
// are logged and skipped. A node alone on its ledger reads back only its
// own rows from before its start: a restart keeps its scores.
const (
	// sharedEvery is how often a node writes its verdicts and reads the
	// others' rows, as often as the studio catalog is followed: a check
	// reaches every node's routing within about a second.
	sharedEvery = time.Second
	// sharedBatch bounds the rows of each table one query reads, and
	// sharedBursts the queries of one poll: 5,000 rows a second catch a
	// node up after an outage, where a network writes about one check
	// per edge and checker a minute.
	sharedBatch  = 500
	sharedBursts = 10
	// sharedLookBack is how far back a starting node takes in rows: as
	// far as a check (qosMaxAge) or a lie (refusalWindow) counts.
	sharedLookBack = max(qosMaxAge, refusalWindow)
	// sharedRetention is how long rows are kept, six times sharedLookBack,
	// so that a node that could not read the ledger for most of an hour
	// still finds what it missed; every sharedPruneEvery each node
	// deletes the older ones.
	sharedRetention  = time.Hour
	sharedPruneEvery = time.Minute
	// sharedPending bounds the verdicts waiting to be written while the
	// ledger is out of reach; beyond it the oldest are dropped.
	sharedPending = 1000
	// sharedRecheck is how long a row whose signer is not enrolled here
	// is held and checked again: the registry reads what another node
	// enrolled within its poll (2 s by default), the check or verdict may
	// be quicker. sharedHeld bounds the rows held.
	sharedRecheck = 30 * time.Second
	sharedHeld    = 1000
	// sharedWarnings bounds the refused rows one poll logs one by one; a
	// count says how many more.
	sharedWarnings = 10
	// sharedTimeout bounds one poll's work on the ledger, and the last
	// write of the verdicts at Close.
	sharedTimeout = 5 * time.Second
)

// sharer writes this node's share to the ledger and follows the other
// nodes'. Its methods may be called from any goroutine.
type sharer struct {
	log      *slog.Logger
	db       *ledger.Store
	registry *enroll.Registry
	name     string
	key      ed25519.PrivateKey
	now      func() time.Time
	// settle judges this node's pending refusals, whose lies come back
	// through judged; checked is given each report another node took,
	// once verified, and lied each lie another node judged.
	settle  func()
	checked func(checker string, rep qos.Report)
	lied    func(edge string, at time.Time)

	mu      sync.Mutex
	pending []ledger.Refusal // judged here, not written yet

	// The loop's own: the last ids read, and the last this node had
	// written when it started (its own rows up to them are taken in,
	// later ones are known already).
	cursor, ownUpTo ledger.SharedCursor
	pruned          time.Time
	// held are rows signed by nodes not enrolled here yet, checked
	// again each poll until sharedRecheck after they were read.
	held []sharedRow
	// refused counts the rows refused in this poll.
	refused int

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// startSharer finds where sh starts following (the rows of the last
// sharedLookBack) and starts following. It is done before the node takes
// any report, so that none of its own is read back as another's.
func startSharer(sh *sharer) error {
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	from, latest, err := sh.db.SharedSince(ctx, sh.now().Add(-sharedLookBack))
	if err != nil {
		return fmt.Errorf("signaling: following the other nodes' checks: %w", err)
	}
	sh.cursor, sh.ownUpTo = from, latest
	sh.ctx, sh.cancel = context.WithCancel(context.Background())
	sh.done = make(chan struct{})
	go sh.run()
	return nil
}

// close stops following, writing the verdicts still pending first.
func (sh *sharer) close() {
	if sh == nil || sh.done == nil {
		return // never started
	}
	sh.cancel()
	<-sh.done
}

// took records a checker's report this node believed, for the others.
func (sh *sharer) took(ctx context.Context, in qos.Signed) error {
	if sh == nil {
		return nil
	}
	_, err := sh.db.AddCheckReport(ctx, ledger.CheckReport{Node: sh.name, Checker: in.Checker, At: sh.now(), Report: in.Report, Sig: in.Sig})
	return err
}

// judged queues a refusal this node judged a lie, signed, for the next
// write.
func (sh *sharer) judged(edge string, at time.Time) {
	if sh == nil {
		return
	}
	r := ledger.Refusal{Edge: edge, Node: sh.name, At: at.Truncate(time.Millisecond)}
	r.Sig = ed25519.Sign(sh.key, refusalMessage(r))
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.pending) == sharedPending {
		sh.log.Warn("the ledger is behind: a refusal verdict is dropped unshared", "edge", sh.pending[0].Edge)
		sh.pending = sh.pending[1:]
	}
	sh.pending = append(sh.pending, r)
}

func (sh *sharer) run() {
	defer close(sh.done)
	tick := time.NewTicker(sharedEvery)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-sh.ctx.Done():
			ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
			defer cancel()
			sh.settle()
			if err := sh.flush(ctx); err != nil {
				sh.log.Warn("refusal verdicts left unshared at close", "err", err)
			}
			return
		case <-tick.C:
		}
		err := sh.poll()
		switch {
		case err != nil && sh.ctx.Err() != nil:
		case err != nil && !failing:
			sh.log.Warn("cannot share checks and refusal verdicts through the ledger; judging on this node's own", "err", err)
			failing = true
		case err == nil && failing:
			sh.log.Info("sharing checks and refusal verdicts through the ledger again")
			failing = false
		}
	}
}

// poll judges, writes this node's verdicts, reads the other nodes' rows
// and prunes when due.
func (sh *sharer) poll() error {
	ctx, cancel := context.WithTimeout(sh.ctx, sharedTimeout)
	defer cancel()
	sh.settle()
	if err := sh.flush(ctx); err != nil {
		return err
	}
	sh.refused = 0
	defer func() {
		if sh.refused > sharedWarnings {
			sh.log.Warn("more rows shared through the ledger refused", "rows", sh.refused-sharedWarnings)
		}
	}()
	sh.recheck()
	for range sharedBursts {
		more, err := sh.follow(ctx)
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	if now := sh.now(); now.Sub(sh.pruned) >= sharedPruneEvery {
		n, err := sh.db.PruneShared(ctx, now.Add(-sharedRetention))
		if err != nil {
			return err
		}
		sh.pruned = now
		if n > 0 {
			sh.log.Debug("pruned shared checks and verdicts", "rows", n)
		}
	}
	return nil
}

// flush writes the pending verdicts, keeping those it could not.
func (sh *sharer) flush(ctx context.Context) error {
	sh.mu.Lock()
	batch := sh.pending
	sh.pending = nil
	sh.mu.Unlock()
	for i, r := range batch {
		if _, err := sh.db.AddRefusal(ctx, r); err != nil {
			sh.mu.Lock()
			sh.pending = append(batch[i:], sh.pending...)
			if over := len(sh.pending) - sharedPending; over > 0 {
				sh.pending = sh.pending[over:]
			}
			sh.mu.Unlock()
			return err
		}
	}
	return nil
}

// follow reads one batch of each table past the cursor, reporting whether
// either was full (more may wait).
func (sh *sharer) follow(ctx context.Context) (more bool, err error) {
	checks, err := sh.db.CheckReportsAfter(ctx, sh.cursor.Checks, sharedBatch)
	if err != nil {
		return false, err
	}
	verdicts, err := sh.db.RefusalsAfter(ctx, sh.cursor.Refusals, sharedBatch)
	if err != nil {
		return false, err
	}
	now := sh.now()
	for _, row := range checks {
		sh.cursor.Checks = row.ID
		if row.Node != sh.name || row.ID <= sh.ownUpTo.Checks {
			sh.handle(sharedRow{check: &row, until: now.Add(sharedRecheck)}, now)
		}
	}
	for _, row := range verdicts {
		sh.cursor.Refusals = row.ID
		if row.Node != sh.name || row.ID <= sh.ownUpTo.Refusals {
			sh.handle(sharedRow{verdict: &row, until: now.Add(sharedRecheck)}, now)
		}
	}
	return len(checks) == sharedBatch || len(verdicts) == sharedBatch, nil
}

// sharedRow is a row another node wrote: a report or a verdict.
type sharedRow struct {
	check   *ledger.CheckReport
	verdict *ledger.Refusal
	// until is how long a row whose signer is not enrolled here yet is
	// held to be checked again.
	until time.Time
}

func (r sharedRow) attrs() []any {
	if r.check != nil {
		return []any{"report", r.check.ID, "node", r.check.Node, "checker", r.check.Checker}
	}
	return []any{"verdict", r.verdict.ID, "node", r.verdict.Node, "edge", r.verdict.Edge}
}

// recheck tries the held rows again.
func (sh *sharer) recheck() {
	held := sh.held
	sh.held = nil
	now := sh.now()
	for _, r := range held {
		sh.handle(r, now)
	}
}

// handle takes in r when its signature is believed, holds it when its
// signer may yet be enrolled here, and refuses it otherwise.
func (sh *sharer) handle(r sharedRow, now time.Time) {
	err := sh.take(r, now)
	var ne notEnrolled
	switch {
	case err == nil:
	case errors.As(err, &ne) && now.Before(r.until) && len(sh.held) < sharedHeld:
		sh.held = append(sh.held, r)
	default:
		if sh.refused++; sh.refused <= sharedWarnings {
			sh.log.Warn("a row shared through the ledger refused", append(r.attrs(), "err", err)...)
		}
	}
}

// take believes r and takes it in, or says why not.
func (sh *sharer) take(r sharedRow, now time.Time) error {
	if r.check != nil {
		rep, err := openCheck(sh.registry, qos.Signed{Checker: r.check.Checker, Report: r.check.Report, Sig: r.check.Sig})
		if err != nil {
			return err
		}
		sh.checked(r.check.Checker, rep)
		return nil
	}
	if err := sh.verify(*r.verdict); err != nil {
		return err
	}
	at := r.verdict.At
	if at.After(now) {
		at = now // a clock ahead of this one must not stretch the window
	}
	sh.lied(r.verdict.Edge, at)
	return nil
}

// notEnrolled is a registry's answer that a row's signer is not enrolled,
// which another node's registry may have learnt a moment before this one.
type notEnrolled struct{ error }

func (e notEnrolled) Unwrap() error { return e.error }

// verify checks a verdict's signature against the key the registry
// enrolled for its node, which must be one of the network's signaling
// nodes.
func (sh *sharer) verify(r ledger.Refusal) error {
	node, operator, err := sh.registry.Node(r.Node)
	if err != nil {
		return notEnrolled{err}
	}
	if node.Role != cluster.RoleSignal || operator != enroll.NetworkOperator {
		return errors.New(r.Node + " is not one of the network's signaling nodes")
	}
	if len(node.Key) != ed25519.PublicKeySize || !ed25519.Verify(node.Key, refusalMessage(r), r.Sig) {
		return errors.New("the verdict's signature is not " + r.Node + "'s")
	}
	return nil
}

// refusalMessage is what a node signs for a verdict: a purpose, its name
// and the edge's, each length-prefixed, and the refusal's time in Unix
// milliseconds.
func refusalMessage(r ledger.Refusal) []byte {
	b := []byte("stratus-refusal/1")
	for _, part := range []string{r.Node, r.Edge} {
		b = binary.AppendUvarint(b, uint64(len(part)))
		b = append(b, part...)
	}
	return binary.BigEndian.AppendUint64(b, uint64(r.At.UnixMilli()))
}
