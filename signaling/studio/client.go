package studio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to the studio API of a signaling node as one studio. It is
// safe for concurrent use.
type Client struct {
	base string
	key  string
	http *http.Client
}

// NewClient returns a client for the signaling node at baseURL (for
// example http://127.0.0.1:8080) using the API key key.
func NewClient(baseURL, key string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("studio: bad signaling URL %q (want http://host:port)", baseURL)
	}
	if hc == nil {
		// Every call is one small file write on the server.
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), key: key, http: hc}, nil
}

// List returns the studio's titles.
func (c *Client) List(ctx context.Context) ([]Title, error) {
	var out []Title
	return out, c.do(ctx, http.MethodGet, TitlesPath, nil, &out)
}

// Get returns one title.
func (c *Client) Get(ctx context.Context, id string) (Title, error) {
	var out Title
	return out, c.do(ctx, http.MethodGet, titlePath(id), nil, &out)
}

// Create uploads a new title; manifestJSON is the manifest file as is, so
// that the server's parse errors point at the studio's own lines.
func (c *Client) Create(ctx context.Context, manifestJSON []byte) (Title, error) {
	var out Title
	return out, c.do(ctx, http.MethodPost, TitlesPath, manifestJSON, &out)
}

// Update publishes a new version of title id.
func (c *Client) Update(ctx context.Context, id string, manifestJSON []byte) (Title, error) {
	var out Title
	return out, c.do(ctx, http.MethodPut, titlePath(id), manifestJSON, &out)
}

// Retire takes title id out of the player catalog.
func (c *Client) Retire(ctx context.Context, id string) (Title, error) {
	var out Title
	return out, c.do(ctx, http.MethodDelete, titlePath(id), nil, &out)
}

func titlePath(id string) string { return TitlesPath + "/" + url.PathEscape(id) }

// maxResponse bounds what the client reads: a list of a studio's titles.
const maxResponse = 16 << 20

// do returns an *APIError for every error answer.
func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("signaling node %s unreachable: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("signaling node %s: reading response: %w", c.base, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || e.Code == "" {
			// Not the studio API answering: a proxy, or a node built
			// without it.
			e.Code, e.Message = "unexpected", fmt.Sprintf("signaling node %s answered %s", c.base, resp.Status)
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("signaling node %s: bad response: %w", c.base, err)
	}
	return nil
}
