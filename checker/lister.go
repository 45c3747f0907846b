package checker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// SignalLister reads the edges from a signaling node's GET /v1/edges,
// which needs the operator's token: its client must carry it.
type SignalLister struct {
	URL  string
	HTTP *http.Client
}

// maxEdgeList bounds what a listing reads: 100,000 edges of a few hundred
// bytes each.
const maxEdgeList = 64 << 20

func (l SignalLister) Edges(ctx context.Context) ([]EdgeInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(l.URL, "/")+"/v1/edges", nil)
	if err != nil {
		return nil, err
	}
	resp, err := l.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", req.URL, resp.Status)
	}
	var out []EdgeInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxEdgeList)).Decode(&out); err != nil {
		return nil, fmt.Errorf("GET %s: %w", req.URL, err)
	}
	return out, nil
}
