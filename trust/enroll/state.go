package enroll

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/trust"
)

// state is the registry's file, operators.json.
type state struct {
	Operators []*Operator `json:"operators"`
}

// Operator is one operator as the registry keeps it.
type Operator struct {
	Name    string     `json:"name"`
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
	Nodes   []Node     `json:"nodes,omitempty"`
	Tokens  []pending  `json:"tokens,omitempty"`
}

// Node is an enrolled node.
type Node struct {
	Name     string            `json:"name"`
	Role     cluster.Role      `json:"role"`
	Key      ed25519.PublicKey `json:"key"`
	Enrolled time.Time         `json:"enrolled"`
}

// pending is an enrollment token; Key and Node are set once it is used.
type pending struct {
	ID      string            `json:"id"`
	Secret  string            `json:"secret"`
	Expires time.Time         `json:"expires"`
	Key     ed25519.PublicKey `json:"key,omitempty"`
	Node    string            `json:"node,omitempty"`
	// Role is what the token enrolls; empty is an edge.
	Role cluster.Role `json:"role,omitempty"`
}

func (st *state) operator(name string) *Operator {
	for _, op := range st.Operators {
		if op.Name == name {
			return op
		}
	}
	return nil
}

func (st *state) token(id string) (*Operator, *pending) {
	for _, op := range st.Operators {
		for i := range op.Tokens {
			if op.Tokens[i].ID == id {
				return op, &op.Tokens[i]
			}
		}
	}
	return nil, nil
}

// nodeOwner is the operator a node name is enrolled under, revoked or not.
func (st *state) nodeOwner(node string) *Operator {
	for _, op := range st.Operators {
		for _, n := range op.Nodes {
			if n.Name == node {
				return op
			}
		}
	}
	return nil
}

func (op *Operator) pending() int {
	n := 0
	for _, p := range op.Tokens {
		if p.Key == nil {
			n++
		}
	}
	return n
}

// putNode enrolls n, replacing the key of a node of the same name (a host
// reinstalled with a new token by its own operator).
func (op *Operator) putNode(n Node, limit int) error {
	for i := range op.Nodes {
		if op.Nodes[i].Name == n.Name {
			op.Nodes[i] = n
			return nil
		}
	}
	if len(op.Nodes) >= limit {
		return api.Errorf(api.CodeTooLarge, "operator %q has %d nodes, the limit", op.Name, limit)
	}
	op.Nodes = append(op.Nodes, n)
	return nil
}

// OperatorView is an operator as GET /v1/operators shows it.
type OperatorView struct {
	Name    string     `json:"name"`
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
	Nodes   []Node     `json:"nodes"`
	// Pending counts the unused tokens, expired ones included.
	Pending int `json:"pending_tokens"`
}

func (op *Operator) view() OperatorView {
	nodes := append([]Node{}, op.Nodes...)
	return OperatorView{Name: op.Name, Created: op.Created, Revoked: op.Revoked, Nodes: nodes, Pending: op.pending()}
}

// stateFile is operators.json in the registry's directory, rewritten whole
// and atomically, under an advisory lock so that two signaling nodes
// sharing the directory do not lose each other's changes.
type stateFile struct {
	path, lockPath string
	seen           fs.FileInfo
}

func newStateFile(dir string) *stateFile {
	return &stateFile{path: filepath.Join(dir, "operators.json"), lockPath: filepath.Join(dir, "operators.lock")}
}

// maxStateFile bounds what load reads: the limits of Config keep a real
// registry far below it.
const maxStateFile = 64 << 20

func (f *stateFile) load() (state, error) {
	var st state
	b, err := trust.ReadSecret(f.path, "registry", maxStateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("registry %s: %w", f.path, err)
	}
	f.seen, _ = os.Stat(f.path)
	return st, nil
}

// moved says whether the file changed since it was last read or written.
func (f *stateFile) moved() bool {
	st, err := os.Stat(f.path)
	if err != nil {
		return false
	}
	return f.seen == nil || !st.ModTime().Equal(f.seen.ModTime()) || st.Size() != f.seen.Size()
}

func (f *stateFile) save(st state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	if err := os.Rename(tmp, f.path); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	f.seen, _ = os.Stat(f.path)
	return nil
}

func (f *stateFile) lock() (func(), error) {
	fd, err := os.OpenFile(f.lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	if err := syscall.Flock(int(fd.Fd()), syscall.LOCK_EX); err != nil {
		fd.Close()
		return nil, fmt.Errorf("registry: locking %s: %w", f.lockPath, err)
	}
	return func() { fd.Close() }, nil
}

// loadOrCreateKey reads an ed25519 key (base64 of its 32-byte seed) from
// dir/name, creating it (0600, dir 0700) the first time.
func loadOrCreateKey(dir, name, what string) (key ed25519.PrivateKey, created bool, err error) {
	path := filepath.Join(dir, name)
	b, err := trust.ReadSecret(path, what, 1024)
	if err == nil {
		seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, false, fmt.Errorf("%s: %s does not hold base64 of a %d-byte ed25519 seed", what, path, ed25519.SeedSize)
		}
		return ed25519.NewKeyFromSeed(seed), false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("%s: %w", what, err)
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, false, err
	}
	// O_EXCL: two processes starting at once must not each write a key.
	fd, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreateKey(dir, name, what)
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", what, err)
	}
	_, err = fd.WriteString(base64.StdEncoding.EncodeToString(seed) + "\n")
	if cerr := fd.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", what, err)
	}
	return ed25519.NewKeyFromSeed(seed), true, nil
}
