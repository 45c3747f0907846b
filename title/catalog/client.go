package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Fetch asks base (a signaling node's URL) for a catalog newer than after,
// waiting up to wait for one. It returns the snapshot and true when there
// is a newer one, false when the wait ended without a change.
func Fetch(ctx context.Context, hc *http.Client, base, token string, after uint64, wait time.Duration) (Snapshot, bool, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	q := url.Values{ParamAfter: {strconv.FormatUint(after, 10)}}
	if wait > 0 {
		q.Set(ParamWait, wait.String())
	}
	u := strings.TrimRight(base, "/") + Path + "?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("catalog: %w", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("catalog: %w", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		return Snapshot{}, false, nil
	default:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return Snapshot{}, false, fmt.Errorf("catalog: %s: %s: %s", u, resp.Status, strings.TrimSpace(string(msg)))
	}
	var snap Snapshot
	body := io.LimitReader(resp.Body, MaxBody+1)
	data, err := io.ReadAll(body)
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("catalog: reading %s: %w", u, err)
	}
	if len(data) > MaxBody {
		return Snapshot{}, false, fmt.Errorf("catalog: %s: larger than %d bytes", u, MaxBody)
	}
	if err := json.Unmarshal(data, &snap); err != nil {
		return Snapshot{}, false, fmt.Errorf("catalog: %s: %w", u, err)
	}
	if snap.Revision <= after {
		return Snapshot{}, false, nil
	}
	return snap, true, nil
}
