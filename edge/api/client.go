package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to one edge. It is safe for concurrent use.
type Client struct {
	base string
	http *http.Client
	// sign, when set, makes the ticket each call carries (a signaling
	// node's calls; see trust.Ticket).
	sign func(method, path, subject string) string
}

// SignWith makes every call carry a ticket from sign, given the call's
// method, path and subject (the title a session is created for, the
// session a call is about). Call it before the client is shared.
func (c *Client) SignWith(sign func(method, path, subject string) string) { c.sign = sign }

// NewClient returns a client for the edge API at baseURL
// (for example http://10.0.0.5:8081).
func NewClient(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("edge api: bad base URL %q", baseURL)
	}
	if hc == nil {
		// Session set-up waits on ICE gathering, which the edge bounds to a
		// few seconds; ten leaves room without hanging a player forever.
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), http: hc}, nil
}

// URL is the edge's base URL.
func (c *Client) URL() string { return c.base }

// Titles lists the edge's catalog.
func (c *Client) Titles(ctx context.Context) ([]Title, error) {
	var out []Title
	return out, c.do(ctx, http.MethodGet, "/v1/titles", "", nil, &out)
}

// AllTitles lists every title of the edge's catalog, with why it cannot
// run those it cannot.
func (c *Client) AllTitles(ctx context.Context) ([]Title, error) {
	var out []Title
	return out, c.do(ctx, http.MethodGet, "/v1/titles?all=1", "", nil, &out)
}

// CreateSession starts a session.
func (c *Client) CreateSession(ctx context.Context, req CreateRequest) (CreateResponse, error) {
	var out CreateResponse
	return out, c.do(ctx, http.MethodPost, "/v1/sessions", req.Title, req, &out)
}

// CreateStandby admits a standby for a player of req.Title
// (req.Resume is not used: the page forwards its tokens to the standby).
func (c *Client) CreateStandby(ctx context.Context, req CreateRequest) (CreateResponse, error) {
	var out CreateResponse
	return out, c.do(ctx, http.MethodPost, "/v1/standbys", req.Title, req, &out)
}

// AddCandidate passes on a player's ICE candidate.
func (c *Client) AddCandidate(ctx context.Context, id string, cand Candidate) error {
	return c.do(ctx, http.MethodPost, "/v1/sessions/"+url.PathEscape(id)+"/candidates", id, cand, nil)
}

// DeleteSession ends a session.
func (c *Client) DeleteSession(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/sessions/"+url.PathEscape(id), id, nil, nil)
}

// Drain asks the edge to take no new players and move its players away.
func (c *Client) Drain(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/drain", "", nil, nil)
}

// Undrain puts a draining edge back in service.
func (c *Client) Undrain(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/undrain", "", nil, nil)
}

// Sessions lists the edge's sessions.
func (c *Client) Sessions(ctx context.Context) ([]SessionInfo, error) {
	var out []SessionInfo
	return out, c.do(ctx, http.MethodGet, "/v1/sessions", "", nil, &out)
}

// Status reads the edge's health and load.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var out Status
	return out, c.do(ctx, http.MethodGet, "/v1/status", "", nil, &out)
}

// ticketHeader is trust.TicketHeader (trust imports this package).
const ticketHeader = "Stratus-Ticket"

// maxResponse bounds what the client reads from an edge.
const maxResponse = 4 << 20

func (c *Client) do(ctx context.Context, method, path, subject string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil || method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.sign != nil {
		// The ticket names the path without its query, as the edge sees
		// it in r.URL.Path.
		p, _, _ := strings.Cut(path, "?")
		req.Header.Set(ticketHeader, c.sign(method, p, subject))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &Error{Code: CodeNoEdge, Message: fmt.Sprintf("edge %s unreachable: %v", c.base, err), Status: http.StatusBadGateway}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return &Error{Code: CodeNoEdge, Message: fmt.Sprintf("edge %s: reading response: %v", c.base, err), Status: http.StatusBadGateway}
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || e.Code == "" {
			e.Code, e.Message = CodeInternal, fmt.Sprintf("edge %s answered %s", c.base, resp.Status)
		}
		return e
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("edge %s: bad response: %w", c.base, err)
	}
	return nil
}

// AsError returns err as an *Error if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
