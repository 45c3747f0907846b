package enroll

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"stratus/cluster"
)

// Enrollment is what a node keeps of its enrollment in its data
// directory (enrollment.json), beside its key (node.key).
type Enrollment struct {
	Node     string            `json:"node"`
	Role     cluster.Role      `json:"role"`
	Operator string            `json:"operator"`
	Key      ed25519.PublicKey `json:"key"`
	Network  ed25519.PublicKey `json:"network"`
	Cert     []byte            `json:"cert"`
	Registry string            `json:"registry"`
	Enrolled time.Time         `json:"enrolled"`
}

// NodeConfig is a node that takes its place in the network.
type NodeConfig struct {
	// Dir is the node's data directory.
	Dir  string
	Node string
	Role cluster.Role
	// Token is an enrollment token as stratus operator add prints it;
	// needed only until the node is enrolled.
	Token string
	// Client makes the enrollment request; nil uses one with a timeout.
	Client *http.Client
}

// NodeKey is the node's own key, in dir/node.key, made at first start.
func NodeKey(dir string, log *slog.Logger) (ed25519.PrivateKey, error) {
	if dir == "" {
		return nil, errors.New("enroll: the node needs a data directory for its key")
	}
	key, created, err := loadOrCreateKey(dir, "node.key", "node key")
	if created {
		log.Info("enroll: node key created", "dir", dir)
	}
	return key, err
}

// Join returns the node's identity and the network's key: from its data
// directory when it is enrolled there under this name and role, otherwise
// by enrolling with the token. The node key is made at first start.
func Join(ctx context.Context, cfg NodeConfig, log *slog.Logger) (*cluster.Identity, ed25519.PublicKey, error) {
	key, err := NodeKey(cfg.Dir, log)
	if err != nil {
		return nil, nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	path := filepath.Join(cfg.Dir, "enrollment.json")
	e, err := readEnrollment(path)
	switch {
	case err == nil && e.Node == cfg.Node && e.Role == cfg.Role && bytes.Equal(e.Key, pub):
		if err := cluster.VerifyCert(e.Network, e.Node, e.Role, e.Operator, pub, e.Cert); err != nil {
			return nil, nil, fmt.Errorf("enroll: %s: %w", path, err)
		}
		return &cluster.Identity{Key: key, Operator: e.Operator, Cert: e.Cert}, e.Network, nil
	case err == nil && cfg.Token == "":
		return nil, nil, fmt.Errorf("enroll: this data directory is enrolled as %s %q, not %s %q; enrolling under another name needs a new token",
			e.Role, e.Node, cfg.Role, cfg.Node)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, nil, err
	case cfg.Token == "":
		return nil, nil, fmt.Errorf("enroll: node %q is not enrolled; start it once with an enrollment token (the network's operator makes one with: stratus operator add <your operator name>)", cfg.Node)
	}
	tok, err := ParseToken(cfg.Token)
	if err != nil {
		return nil, nil, err
	}
	ans, err := enroll(ctx, cfg, tok, pub)
	if err != nil {
		return nil, nil, err
	}
	e = Enrollment{Node: cfg.Node, Role: cfg.Role, Operator: ans.Operator, Key: pub, Network: ans.Network,
		Cert: ans.Cert, Registry: tok.URL, Enrolled: time.Now().UTC()}
	b, _ := json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return nil, nil, fmt.Errorf("enroll: %w", err)
	}
	log.Info("enroll: node enrolled", "node", cfg.Node, "operator", ans.Operator, "registry", tok.URL)
	return &cluster.Identity{Key: key, Operator: ans.Operator, Cert: ans.Cert}, ans.Network, nil
}

// ReadEnrollment is the enrollment a node keeps in dir: who it is, for
// its operator's commands that ask the network as the node.
func ReadEnrollment(dir string) (Enrollment, error) {
	e, err := readEnrollment(filepath.Join(dir, "enrollment.json"))
	if errors.Is(err, os.ErrNotExist) {
		return e, fmt.Errorf("enroll: %s holds no enrollment: is it an enrolled node's data directory?", dir)
	}
	return e, err
}

func readEnrollment(path string) (Enrollment, error) {
	var e Enrollment
	b, err := os.ReadFile(path)
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("enroll: %s: %w", path, err)
	}
	return e, nil
}

// enroll asks the registry to certify pub and checks that the answer comes
// from the registry holding the token.
func enroll(ctx context.Context, cfg NodeConfig, tok Token, pub ed25519.PublicKey) (Answer, error) {
	req := Request{Token: tok.ID, Node: cfg.Node, Role: cfg.Role, Key: pub}
	req.Proof = mac(tok.Secret, purposeProof, req.proofParts()...)
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	var ans Answer
	if err := postJSON(ctx, client, strings.TrimRight(tok.URL, "/")+"/v1/enroll", req, &ans); err != nil {
		return Answer{}, fmt.Errorf("enroll: at %s: %w", tok.URL, err)
	}
	if !hmac.Equal(ans.MAC, mac(tok.Secret, purposeAnswer, ans.parts(cfg.Node)...)) {
		return Answer{}, fmt.Errorf("enroll: the answer from %s is not signed with the token's secret (not the registry that made the token?)", tok.URL)
	}
	if err := cluster.VerifyCert(ans.Network, cfg.Node, cfg.Role, ans.Operator, pub, ans.Cert); err != nil {
		return Answer{}, fmt.Errorf("enroll: the registry's certificate: %w", err)
	}
	return ans, nil
}
