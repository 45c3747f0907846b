package clustertest

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"stratus/cluster"
	"stratus/trust/enroll"
)

// EnrollEdge enrolls edge node as a node of operator with the registry of
// the signaling node at signalURL, as its operator would with a token from
// `stratus operator add`, leaving its key and enrollment in dir. op acts as
// the network's operator. An edge already enrolled in dir is left as is.
// Enrolling here rather than through the edge lets an edge in another
// network namespace start without reaching the signaling node.
func EnrollEdge(ctx context.Context, op *http.Client, signalURL, operator, dir, node string) error {
	if _, err := os.Stat(filepath.Join(dir, "enrollment.json")); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	add, err := (enroll.Client{HTTP: op, URL: signalURL}).Add(ctx, operator, cluster.RoleEdge)
	if err != nil {
		return err
	}
	_, _, err = enroll.Join(ctx, enroll.NodeConfig{Dir: dir, Node: node, Role: cluster.RoleEdge, Token: add.Token}, slog.New(slog.DiscardHandler))
	return err
}
