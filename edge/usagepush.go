package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"stratus/cluster"
	"stratus/edge/usage"
)

// pushUsage sends records to the ledger of a signaling node gossip shows,
// which believes each by its signature alone.
func (e *Edge) pushUsage(ctx context.Context, recs []usage.Record) error {
	if e.pool == nil {
		return errors.New("no gossip: no signaling node to send usage to")
	}
	var url string
	for _, m := range e.pool.Members() {
		if m.Meta.Role == cluster.RoleSignal && m.State == cluster.StateAlive && m.Meta.API != "" {
			url = strings.TrimRight(m.Meta.API, "/") + "/v1/usage"
			break
		}
	}
	if url == "" {
		return errors.New("no signaling node known yet")
	}
	body, err := json.Marshal(map[string]any{"records": recs})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return nil
}
