package enroll

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/hmac"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sync"
	"time"

	"stratus/cluster"
	"stratus/edge/api"
)

// NetworkOperator is the operator the signaling nodes belong to: the
// network's own. No edge operator may take the name.
const NetworkOperator = "network"

// Config is where a Registry keeps its state and the limits it holds
// operators to.
type Config struct {
	// Dir holds network.key and operators.json; signaling nodes that
	// share it share one registry.
	Dir string
	// URL is the registry's base URL as edges reach it, written into the
	// tokens Add makes.
	URL string
	// TokenTTL is how long an enrollment token may wait for its edge.
	TokenTTL time.Duration
	// MaxOperators, MaxNodes (per operator) and MaxPending (unused
	// tokens per operator) bound the registry's file, whatever the
	// network's operator or a leaked token does.
	MaxOperators, MaxNodes, MaxPending int
	// Poll is how often the registry looks for changes another process
	// sharing Dir made (a revocation through another signaling node).
	Poll time.Duration
}

// DefaultConfig: a day lets an operator set a host up at leisure while a
// forgotten token soon stops being worth stealing; the counts are far
// above a real network's and far below what would make the file slow to
// rewrite; two seconds is how late a revocation may reach a second
// signaling node.
func DefaultConfig() Config {
	return Config{TokenTTL: 24 * time.Hour, MaxOperators: 1000, MaxNodes: 1000, MaxPending: 100, Poll: 2 * time.Second}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("enroll: the registry needs a directory"))
	}
	if c.TokenTTL <= 0 || c.MaxOperators <= 0 || c.MaxNodes <= 0 || c.MaxPending <= 0 || c.Poll <= 0 {
		errs = append(errs, fmt.Errorf("enroll: token TTL, limits and poll interval must be positive (%v %d %d %d %v)",
			c.TokenTTL, c.MaxOperators, c.MaxNodes, c.MaxPending, c.Poll))
	}
	return errors.Join(errs...)
}

// Registry is the network's list of operators and the nodes it certified.
// Its methods may be called from any goroutine; a goroutine of its own
// follows changes made by other processes until Close.
type Registry struct {
	cfg     Config
	log     *slog.Logger
	network ed25519.PrivateKey
	file    *stateFile

	mu      sync.Mutex
	st      state
	changed chan struct{} // closed and replaced at every change

	stop, done chan struct{}
	closeOnce  sync.Once
}

// Open loads the registry in cfg.Dir, creating the network key (mode
// 0600) and an empty list the first time.
func Open(cfg Config, log *slog.Logger) (*Registry, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	network, created, err := loadOrCreateKey(cfg.Dir, "network.key", "network key")
	if err != nil {
		return nil, err
	}
	r := &Registry{cfg: cfg, log: log, network: network, file: newStateFile(cfg.Dir),
		changed: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	if r.st, err = r.file.load(); err != nil {
		return nil, err
	}
	if created {
		log.Info("enroll: network key created", "dir", cfg.Dir)
	}
	go r.follow()
	return r, nil
}

// Network is the public key every node checks certificates with.
func (r *Registry) Network() ed25519.PublicKey { return r.network.Public().(ed25519.PublicKey) }

// Close ends the goroutine that follows the file. Safe to call twice.
func (r *Registry) Close() {
	r.closeOnce.Do(func() { close(r.stop) })
	<-r.done
}

// Changed is closed at the registry's next change.
func (r *Registry) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// follow reloads the state when another process changed the file.
func (r *Registry) follow() {
	defer close(r.done)
	t := time.NewTicker(r.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		if !r.file.moved() {
			continue
		}
		st, err := r.file.load()
		if err != nil {
			r.log.Warn("enroll: reloading the registry", "err", err)
			continue
		}
		r.mu.Lock()
		r.st = st
		r.notifyLocked()
		r.mu.Unlock()
	}
}

func (r *Registry) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// update changes the state under the file's lock, from its latest
// contents, and writes it back when fn succeeds.
func (r *Registry) update(fn func(*state) error) error {
	unlock, err := r.file.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := r.file.load()
	if err != nil {
		return err
	}
	if err := fn(&st); err != nil {
		return err
	}
	if err := r.file.save(st); err != nil {
		return err
	}
	r.mu.Lock()
	r.st = st
	r.notifyLocked()
	r.mu.Unlock()
	return nil
}

// validName accepts operator and node names that are safe in URLs, logs
// and labels.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Add creates operator name when it is new and makes one enrollment token
// for one more of its nodes, in role (edge, or checker for the network's
// own checkers: a checker's results decide where players go, so no edge
// operator may run one).
func (r *Registry) Add(name string, role cluster.Role) (Token, time.Time, error) {
	switch {
	case role == "":
		role = cluster.RoleEdge
	case role != cluster.RoleEdge && role != cluster.RoleChecker:
		return Token{}, time.Time{}, api.Errorf(api.CodeBadMessage, "role %q: tokens enroll edges or checkers", role)
	}
	if !validName.MatchString(name) || (name == NetworkOperator) != (role == cluster.RoleChecker) {
		return Token{}, time.Time{}, api.Errorf(api.CodeBadMessage,
			"operator name %q: want 1 to 64 letters, digits, '.', '_' or '-'; %q for checkers and only for them", name, NetworkOperator)
	}
	tok, err := newToken(r.cfg.URL)
	if err != nil {
		return Token{}, time.Time{}, err
	}
	now := time.Now().UTC()
	expires := now.Add(r.cfg.TokenTTL)
	err = r.update(func(st *state) error {
		op := st.operator(name)
		if op == nil {
			if len(st.Operators) >= r.cfg.MaxOperators {
				return api.Errorf(api.CodeTooLarge, "the registry holds %d operators, its limit", r.cfg.MaxOperators)
			}
			op = &Operator{Name: name, Created: now}
			st.Operators = append(st.Operators, op)
		}
		if op.Revoked != nil {
			return api.Errorf(api.CodeForbidden, "operator %q was revoked on %s", name, op.Revoked.Format(time.RFC3339))
		}
		op.Tokens = slices.DeleteFunc(op.Tokens, func(p pending) bool { return p.Key == nil && now.After(p.Expires) })
		if op.pending() >= r.cfg.MaxPending {
			return api.Errorf(api.CodeTooLarge, "operator %q has %d unused tokens, the limit", name, r.cfg.MaxPending)
		}
		op.Tokens = append(op.Tokens, pending{ID: tok.ID, Secret: tok.Secret, Expires: expires, Role: role})
		return nil
	})
	if err != nil {
		return Token{}, time.Time{}, err
	}
	r.log.Info("enroll: token made", "operator", name, "role", role, "token", tok.ID, "expires", expires)
	return tok, expires, nil
}

// Revoke takes operator name and all its nodes out of the network: the
// signaling nodes stop routing to them, and its tokens stop working.
func (r *Registry) Revoke(name string) error {
	err := r.update(func(st *state) error {
		op := st.operator(name)
		if op == nil {
			return api.Errorf(api.CodeNotFound, "no operator %q", name)
		}
		if op.Revoked == nil {
			now := time.Now().UTC()
			op.Revoked = &now
		}
		return nil
	})
	if err == nil {
		r.log.Warn("enroll: operator revoked", "operator", name)
	}
	return err
}

// Operators lists the operators, their nodes and how many of their tokens
// are unused; never a secret.
func (r *Registry) Operators() []OperatorView {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]OperatorView, 0, len(r.st.Operators))
	for _, op := range r.st.Operators {
		out = append(out, op.view())
	}
	return out
}

// Enroll certifies a node that proves it holds an enrollment token.
func (r *Registry) Enroll(req Request) (Answer, error) {
	if err := req.check(); err != nil {
		return Answer{}, err
	}
	var ans Answer
	now := time.Now()
	err := r.update(func(st *state) error {
		op, p := st.token(req.Token)
		// One answer for an unknown token and a wrong proof: a guesser
		// learns nothing of which ids exist.
		if p == nil || !hmac.Equal(req.Proof, mac(p.Secret, purposeProof, req.proofParts()...)) {
			return api.Errorf(api.CodeForbidden, "unknown enrollment token, or a proof that does not match it")
		}
		switch {
		case op.Revoked != nil:
			return api.Errorf(api.CodeForbidden, "operator %q was revoked", op.Name)
		case p.Key != nil && (!bytes.Equal(p.Key, req.Key) || p.Node != req.Node):
			return api.Errorf(api.CodeForbidden, "this enrollment token was used already, by %s", p.Node)
		case cmp.Or(p.Role, cluster.RoleEdge) != req.Role:
			return api.Errorf(api.CodeForbidden, "this enrollment token enrolls a %s, not a %s", cmp.Or(p.Role, cluster.RoleEdge), req.Role)
		case p.Key == nil && now.After(p.Expires):
			return api.Errorf(api.CodeForbidden, "this enrollment token expired on %s; ask for another", p.Expires.Format(time.RFC3339))
		}
		if other := st.nodeOwner(req.Node); other != nil && other != op {
			return api.Errorf(api.CodeForbidden, "node name %q belongs to operator %q", req.Node, other.Name)
		}
		if err := op.putNode(Node{Name: req.Node, Role: req.Role, Key: req.Key, Enrolled: now.UTC()}, r.cfg.MaxNodes); err != nil {
			return err
		}
		p.Key, p.Node = req.Key, req.Node
		ans = r.answer(op.Name, p.Secret, req.Node, req.Role, req.Key)
		return nil
	})
	if err != nil {
		return Answer{}, err
	}
	r.log.Info("enroll: node enrolled", "node", req.Node, "role", req.Role, "operator", ans.Operator, "token", req.Token)
	return ans, nil
}

func (r *Registry) answer(operator, secret, node string, role cluster.Role, key ed25519.PublicKey) Answer {
	a := Answer{Operator: operator, Network: r.Network(),
		Cert: ed25519.Sign(r.network, cluster.CertMessage(node, role, operator, key))}
	a.MAC = mac(secret, purposeAnswer, a.parts(node)...)
	return a
}

// Certify enrolls a signaling node of the network itself, which holds the
// network key and so needs no token.
func (r *Registry) Certify(node string, key ed25519.PrivateKey) (*cluster.Identity, error) {
	pub := key.Public().(ed25519.PublicKey)
	err := r.update(func(st *state) error {
		op := st.operator(NetworkOperator)
		if op == nil {
			op = &Operator{Name: NetworkOperator, Created: time.Now().UTC()}
			st.Operators = append(st.Operators, op)
		}
		if other := st.nodeOwner(node); other != nil && other != op {
			return fmt.Errorf("enroll: node name %q belongs to operator %q", node, other.Name)
		}
		return op.putNode(Node{Name: node, Role: cluster.RoleSignal, Key: pub, Enrolled: time.Now().UTC()}, r.cfg.MaxNodes)
	})
	if err != nil {
		return nil, err
	}
	return &cluster.Identity{Key: key, Operator: NetworkOperator,
		Cert: ed25519.Sign(r.network, cluster.CertMessage(node, cluster.RoleSignal, NetworkOperator, pub))}, nil
}

// Node is the node enrolled under name, with its operator's name; an
// error says there is none, or its operator was revoked.
func (r *Registry) Node(name string) (Node, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	op := r.st.nodeOwner(name)
	if op == nil {
		return Node{}, "", fmt.Errorf("%s is not enrolled here", name)
	}
	if op.Revoked != nil {
		return Node{}, "", fmt.Errorf("operator %q of %s was revoked", op.Name, name)
	}
	for _, n := range op.Nodes {
		if n.Name == name {
			return n, op.Name, nil
		}
	}
	return Node{}, "", fmt.Errorf("%s is not enrolled here", name)
}

// Allowed says why m may not be given work, nil when it may: its operator
// is enrolled here and not revoked, and the key it gossips is the one
// enrolled for its name and role.
func (r *Registry) Allowed(m cluster.Member) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	op := r.st.operator(m.Meta.Operator)
	switch {
	case op == nil:
		return fmt.Errorf("operator %q is not enrolled here", m.Meta.Operator)
	case op.Revoked != nil:
		return fmt.Errorf("operator %q was revoked", op.Name)
	}
	for _, n := range op.Nodes {
		if n.Name == m.Name {
			if n.Role != m.Meta.Role || !bytes.Equal(n.Key, m.Key) {
				return fmt.Errorf("%s gossips another key or role than the one enrolled", m.Name)
			}
			return nil
		}
	}
	return fmt.Errorf("%s is not among operator %q's nodes", m.Name, op.Name)
}
