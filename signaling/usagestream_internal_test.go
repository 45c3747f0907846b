package signaling

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"stratus/edge/usage"
	"stratus/ledger"
)

func storedRecord(t testing.TB, i int, studio string) ledger.Raw {
	t.Helper()
	end := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	r := usage.Record{Session: fmt.Sprintf("s%06d", i), Seq: 3, Final: true, Kind: usage.KindPlayer, Title: "acme-game", Studio: studio,
		Edge: "eu-1", Operator: "lab", Region: "eu", Player: "player-7", Start: end.Add(-time.Minute), End: end, Seconds: 60,
		FramesSent: 3600, Encoder: "x264", GPU: &usage.GPUUse{Model: "L4", NVENCSeconds: 60}, Signature: bytes.Repeat([]byte{7}, 64)}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return ledger.Raw{Record: b, Kind: "check", Title: r.Title}
}

// The stored JSON passed on with the studio and kind appended reads as
// the decoded record would, a studio the record names itself included.
func TestOperatorRecordAsDecoded(t *testing.T) {
	for _, c := range []struct {
		name, signed, owner string
	}{
		{"no studio", "", ""},
		{"the owner added", "", "acme"},
		{"a signed studio replaced", "globex", "acme"},
		{"a signed studio blanked", "globex", ""},
	} {
		raw := storedRecord(t, 1, c.signed)
		want, err := raw.Entry()
		if err != nil {
			t.Fatal(err)
		}
		want.Studio = c.owner
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		if err := writeOperatorRecord(w, raw, c.owner); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		var got ledger.Entry
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v: %s", c.name, err, b.Bytes())
		}
		if g, w := string(mustJSON(t, got)), string(mustJSON(t, want)); g != w {
			t.Errorf("%s: %s\nwant %s", c.name, g, w)
		}
	}
	var b bytes.Buffer
	if err := writeOperatorRecord(bufio.NewWriter(&b), ledger.Raw{Record: []byte(`{"session":`)}, ""); err == nil {
		t.Error("a truncated stored record: no error")
	}
}

// streamServer serves GET with handler h on a server whose own write
// timeout is writeTimeout.
func streamServer(t *testing.T, writeTimeout time.Duration, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.WriteTimeout = writeTimeout
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// A listing that fails before its first record is an error status; after
// it, a truncated array, which a decoder refuses.
func TestUsageStreamFailure(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	for _, c := range []struct {
		name    string
		records int
		status  int
	}{
		{"before the first record", 0, http.StatusInternalServerError},
		{"after a few", 10, http.StatusOK},
		{"after some chunks", 3*usageFlushEvery + 5, http.StatusOK},
	} {
		url := streamServer(t, time.Minute, func(w http.ResponseWriter, r *http.Request) {
			st := newUsageStream(w, time.Minute)
			var err error
			for i := range c.records {
				if err = st.record(func(b *bufio.Writer) error { return writeOperatorRecord(b, storedRecord(t, i, ""), "") }); err != nil {
					break
				}
			}
			s.finishUsage(st, errors.Join(err, errors.New("the database went away")))
		})
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		var list []ledger.Entry
		derr := json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if resp.StatusCode != c.status || derr == nil {
			t.Errorf("%s: %s, decoded %d records (%v): want %d and an error", c.name, resp.Status, len(list), derr, c.status)
		}
	}
}

// A long answer outlives the server's write timeout as long as each chunk
// goes out in time; a reader that stops reading is cut off.
func TestUsageStreamDeadlines(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	const chunks = 6
	ended := make(chan error, 1)
	url := streamServer(t, 300*time.Millisecond, func(w http.ResponseWriter, r *http.Request) {
		st := newUsageStream(w, time.Second)
		var err error
		for i := 0; i < chunks*usageFlushEvery && err == nil; i++ {
			if i%usageFlushEvery == 0 {
				// A slow database: the answer takes twice the server's
				// write timeout in all.
				time.Sleep(100 * time.Millisecond)
			}
			err = st.record(func(b *bufio.Writer) error { return writeOperatorRecord(b, storedRecord(t, i, ""), "") })
		}
		ended <- err
		s.finishUsage(st, err)
	})
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	var list []ledger.Entry
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || len(list) != chunks*usageFlushEvery {
		t.Fatalf("a slow answer: %d records, %v", len(list), err)
	}
	<-ended

	// Far more than the socket buffers hold, to a reader who reads the
	// status and no more.
	url = streamServer(t, time.Minute, func(w http.ResponseWriter, r *http.Request) {
		st := newUsageStream(w, 300*time.Millisecond)
		var err error
		for i := 0; i < ledger.MaxRecords && err == nil; i++ {
			err = st.record(func(b *bufio.Writer) error { return writeOperatorRecord(b, storedRecord(t, i, ""), "") })
		}
		ended <- err
		s.finishUsage(st, err)
	})
	resp, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	select {
	case err := <-ended:
		if err == nil {
			t.Fatal("a stalled reader took a million records")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a stalled reader was not cut off in 30 s")
	}
	if _, err := io.Copy(io.Discard, resp.Body); err == nil {
		t.Error("the cut answer read as whole")
	}
}

// BenchmarkOperatorRecord compares passing the stored JSON on with
// decoding it and encoding it again; ns/op is per record.
func BenchmarkOperatorRecord(b *testing.B) {
	raw := storedRecord(b, 1, "")
	w := bufio.NewWriter(io.Discard)
	b.Run("stored", func(b *testing.B) {
		for range b.N {
			if err := writeOperatorRecord(w, raw, "acme"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoded", func(b *testing.B) {
		for range b.N {
			e, err := raw.Entry()
			if err != nil {
				b.Fatal(err)
			}
			e.Studio = "acme"
			if err := writeEntry(w, e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
