package enroll

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"stratus/cluster"
	"stratus/edge/api"
)

// Client is the network operator's access to a registry, as the stratus
// operator command uses it. Its http.Client must carry the operator token.
type Client struct {
	HTTP *http.Client
	// URL is the signaling node's base URL.
	URL string
}

// Add makes an enrollment token for one more node of operator name, in
// role (empty: an edge).
func (c Client) Add(ctx context.Context, name string, role cluster.Role) (AddAnswer, error) {
	var out AddAnswer
	err := postJSON(ctx, c.HTTP, c.url("/v1/operators"), AddRequest{Name: name, Role: role}, &out)
	return out, err
}

// List reads the operators and their nodes.
func (c Client) List(ctx context.Context) ([]OperatorView, error) {
	var out []OperatorView
	err := do(ctx, c.HTTP, http.MethodGet, c.url("/v1/operators"), nil, &out)
	return out, err
}

// Revoke takes operator name and its nodes out of the network.
func (c Client) Revoke(ctx context.Context, name string) ([]OperatorView, error) {
	var out []OperatorView
	err := postJSON(ctx, c.HTTP, c.url("/v1/operators/revoke"), RevokeRequest{Name: name}, &out)
	return out, err
}

func (c Client) url(path string) string { return strings.TrimRight(c.URL, "/") + path }

func postJSON(ctx context.Context, client *http.Client, url string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return do(ctx, client, http.MethodPost, url, b, out)
}

// do makes one request and decodes a JSON answer, or the API's error.
func do(ctx context.Context, client *http.Client, method, url string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e api.Error
		if json.Unmarshal(data, &e) == nil && e.Code != "" {
			e.Status = resp.StatusCode
			return &e
		}
		return fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	return json.Unmarshal(data, out)
}

// maxAnswer bounds what the client reads: a list of a thousand operators
// with their nodes fits many times over.
const maxAnswer = 16 << 20
