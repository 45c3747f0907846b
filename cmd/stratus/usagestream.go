package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"text/tabwriter"
	"time"

	"stratus/edge/api"
	"stratus/ledger"
)

// stratus usage reads a listing of up to a million records (some 500 MB)
// as the node streams it, and prints or verifies each record as it comes:
// no limit on the whole answer, which may rightly take minutes, but one on
// its start and one on each silence.
const (
	// usageHeaderLimit bounds the wait for an answer to begin: the node
	// sums totals before it answers (some 8 s for a million records).
	usageHeaderLimit = time.Minute
	// usageIdleLimit bounds a silence within an answer: the node flushes
	// every thousand records.
	usageIdleLimit = time.Minute
	// usageTableBlock is how many rows of a table are aligned together:
	// a tabwriter holds its rows until it flushes.
	usageTableBlock = 10_000
	// usageOutBuffer is stdout's buffer.
	usageOutBuffer = 64 << 10
)

// usageGetter fetches the node's answers within its limits.
type usageGetter struct {
	hc                *http.Client
	headerLimit, idle time.Duration
}

// get starts GET u: the body of a 200, which fails the read that follows
// a silence of g.idle, or the node's error.
func (g usageGetter) get(u string) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancelCause(context.Background())
	start := time.AfterFunc(g.headerLimit, func() {
		cancel(fmt.Errorf("GET %s: no answer in %s", u, g.headerLimit))
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		cancel(nil)
		return nil, err
	}
	resp, err := g.hc.Do(req)
	start.Stop()
	if err != nil {
		defer cancel(nil)
		if c := context.Cause(ctx); c != nil {
			return nil, c
		}
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer cancel(nil)
		defer resp.Body.Close()
		var ae api.Error
		if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&ae) == nil && ae.Code != "" {
			return nil, fmt.Errorf("GET %s: %s: %s: %s", u, resp.Status, ae.Code, ae.Message)
		}
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	b := &idleBody{ctx: ctx, cancel: cancel, body: resp.Body, limit: g.idle}
	b.timer = time.AfterFunc(g.idle, func() {
		cancel(fmt.Errorf("GET %s: the answer stalled for %s", u, g.idle))
	})
	return b, nil
}

// getJSON decodes the whole answer to GET u into v: for the short ones.
func (g usageGetter) getJSON(u string, v any) error {
	body, err := g.get(u)
	if err != nil {
		return err
	}
	defer body.Close()
	return json.NewDecoder(body).Decode(v)
}

// idleBody is an answer's body whose request is cancelled when no byte
// comes for limit.
type idleBody struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	body   io.ReadCloser
	timer  *time.Timer
	limit  time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if n > 0 {
		b.timer.Reset(b.limit)
	}
	if err != nil && err != io.EOF && b.ctx.Err() != nil {
		err = context.Cause(b.ctx)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	b.cancel(nil)
	return b.body.Close()
}

// eachRecord calls fn with each element of the JSON array body holds, as
// it comes, and fails unless the array is whole: the node cuts its answer
// when its listing fails after the first record.
func eachRecord(body io.Reader, fn func(json.RawMessage) error) (int, error) {
	dec := json.NewDecoder(body)
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return 0, fmt.Errorf("usage: the node's answer is not a list of records (%v, %v)", t, err)
	}
	n := 0
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return n, fmt.Errorf("usage: the listing broke off after %d records: %w", n, err)
		}
		if err := fn(raw); err != nil {
			return n, err
		}
		n++
	}
	if _, err := dec.Token(); err != nil {
		return n, fmt.Errorf("usage: the listing broke off after %d records: %w", n, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return n, fmt.Errorf("usage: more than a list of records after %d of them (%v)", n, err)
	}
	return n, nil
}

// printSessions lists the records one per line as they come; checks are
// listed with their kind and never counted as play.
func printSessions(out io.Writer, body io.Reader, format string) error {
	w := bufio.NewWriterSize(out, usageOutBuffer)
	defer w.Flush()
	var each func(e json.RawMessage) error
	var end func(n int) error
	switch format {
	case "json":
		// The records as the node wrote them, indented as one list.
		var buf bytes.Buffer
		first := true
		each = func(raw json.RawMessage) error {
			buf.Reset()
			if first {
				buf.WriteString("[\n  ")
				first = false
			} else {
				buf.WriteString(",\n  ")
			}
			if err := json.Indent(&buf, raw, "  ", "  "); err != nil {
				return err
			}
			_, err := w.Write(buf.Bytes())
			return err
		}
		end = func(n int) error {
			if n == 0 {
				_, err := w.WriteString("[]\n")
				return err
			}
			_, err := w.WriteString("\n]\n")
			return err
		}
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"session", "kind", "title", "studio", "edge", "operator", "region", "player", "start", "end", "seconds", "frames_sent", "bytes", "interrupted"})
		each = decoded(func(e ledger.Entry) error {
			return cw.Write([]string{e.Session, e.LedgerKind, e.Title, e.Studio, e.Edge, e.Operator, e.Region, e.Player, e.Start.Format(time.RFC3339),
				e.End.Format(time.RFC3339), fmt.Sprintf("%.1f", e.Seconds), fmt.Sprint(e.FramesSent), fmt.Sprint(e.Bytes), fmt.Sprint(e.Interrupted)})
		})
		end = func(int) error { cw.Flush(); return cw.Error() }
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SESSION\tKIND\tTITLE\tEDGE\tOPERATOR\tEND\tSECONDS\tFRAMES")
		rows := 0
		each = decoded(func(e ledger.Entry) error {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%d\n", e.Session, e.LedgerKind, e.Title, e.Edge, e.Operator, e.End.Format(time.RFC3339), e.Seconds, e.FramesSent)
			if rows++; rows%usageTableBlock == 0 {
				return tw.Flush()
			}
			return nil
		})
		end = func(int) error { return tw.Flush() }
	}
	n, err := eachRecord(body, each)
	if err != nil {
		return err
	}
	if err := end(n); err != nil {
		return err
	}
	return w.Flush()
}

// decoded adapts fn to the raw records eachRecord yields.
func decoded(fn func(ledger.Entry) error) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		var e ledger.Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("usage: a record: %w", err)
		}
		return fn(e)
	}
}

// verifyRecords checks every record body lists against its edge's key in
// keys, on workers goroutines, and names each that fails on out, in the
// order the checks end. It returns the records read and those that
// failed; err is the listing's, when it broke off.
func verifyRecords(out io.Writer, keys map[string]ed25519.PublicKey, body io.Reader, workers int) (total, bad int, err error) {
	jobs := make(chan json.RawMessage, 4*workers)
	var mu sync.Mutex // out and bad
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for raw := range jobs {
				session, edge, err := verifyOne(keys, raw)
				if err != nil {
					mu.Lock()
					bad++
					fmt.Fprintf(out, "FAIL %s (edge %s): %v\n", session, edge, err)
					mu.Unlock()
				}
			}
		}()
	}
	total, err = eachRecord(body, func(raw json.RawMessage) error {
		jobs <- raw
		return nil
	})
	close(jobs)
	wg.Wait()
	return total, bad, err
}

// verifyOne checks one record of the operator's listing.
func verifyOne(keys map[string]ed25519.PublicKey, raw json.RawMessage) (session, edge string, err error) {
	var e ledger.Entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return "?", "?", fmt.Errorf("not a record: %w", err)
	}
	key, ok := keys[e.Edge]
	if !ok {
		return e.Session, e.Edge, errors.New("its edge is not in the registry")
	}
	err = e.Verify(key)
	if err != nil && e.Studio != "" {
		// The listing names the title's studio, which the edge did not
		// sign.
		r := e.Record
		r.Studio = ""
		err = r.Verify(key)
	}
	return e.Session, e.Edge, err
}

// usageWorkers is how many records are verified at once.
func usageWorkers() int { return runtime.GOMAXPROCS(0) }
