package checker

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"stratus/checker/qos"
)

// Publisher sends each report, signed with the checker's node key, to a
// signaling node (POST /v1/checks), which believes it only from a checker
// the network enrolled.
type Publisher struct {
	URL  string
	HTTP *http.Client
	// Node is the checker's enrolled name; Key its node key.
	Node string
	Key  ed25519.PrivateKey
}

// Publish sends rep.
func (p Publisher) Publish(ctx context.Context, rep qos.Report) error {
	s, err := qos.Sign(p.Node, p.Key, rep)
	if err != nil {
		return err
	}
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(p.URL, "/")+"/v1/checks", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.HTTP.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("POST %s: %s", req.URL, resp.Status)
	}
	return nil
}
