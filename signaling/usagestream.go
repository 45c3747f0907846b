package signaling

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"stratus/edge/api"
	"stratus/ledger"
)

// GET /v1/usage lists up to ledger.MaxRecords records, some 500 MB of JSON
// at the most: the answer is written as the ledger yields the records, a
// JSON array that starts before the last record is read, instead of built
// whole first.
//
// The server's write timeout (the node's, some 45 s for every answer) is
// pushed forward chunk by chunk, so that a long answer to a reader who
// keeps up is not cut, while a reader who stalls still is: each chunk of
// usageFlushEvery records must be written within usageChunkLimit.
//
// Once the first record is out the status is sent and cannot change: a
// failure after it (the database's, or the reader's) is logged and the
// connection aborted, so that the reader gets a truncated array, which no
// JSON decoder takes for a whole one.
const (
	// usageFlushEvery is how many records go out between flushes: a few
	// hundred KB, so that the reader sees progress and the node holds
	// little.
	usageFlushEvery = 1000
	// usageChunkLimit bounds writing one chunk: a reader slower than some
	// 20 KB/s is cut off.
	usageChunkLimit = 30 * time.Second
	// usageBuffer is what the node gathers before writing to the
	// connection.
	usageBuffer = 64 << 10
)

// usageStream writes a JSON array of records to an answer as they come.
type usageStream struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf *bufio.Writer
	// limit bounds writing one chunk (usageChunkLimit).
	limit time.Duration
	// n counts the records written.
	n int
}

func newUsageStream(w http.ResponseWriter, limit time.Duration) *usageStream {
	return &usageStream{w: w, rc: http.NewResponseController(w), limit: limit}
}

// started reports whether the status has gone out.
func (st *usageStream) started() bool { return st.buf != nil }

// start sends the status and the array's opening at once, so that the
// reader knows the listing has begun, and a failure after it reads as a
// cut answer rather than none.
func (st *usageStream) start() error {
	st.w.Header().Set("Content-Type", "application/json")
	st.w.WriteHeader(http.StatusOK)
	st.buf = bufio.NewWriterSize(st.w, usageBuffer)
	st.extend()
	st.buf.WriteByte('[')
	return st.flush()
}

// extend gives the next chunk its limit. A ResponseWriter without
// deadlines (none of the node's servers) leaves the server's own.
func (st *usageStream) extend() {
	st.rc.SetWriteDeadline(time.Now().Add(st.limit))
}

// record writes one record with write, which appends its JSON to b.
func (st *usageStream) record(write func(b *bufio.Writer) error) error {
	if !st.started() {
		if err := st.start(); err != nil {
			return err
		}
	}
	if st.n > 0 {
		st.buf.WriteByte(',')
	}
	st.buf.WriteByte('\n')
	if err := write(st.buf); err != nil {
		return err
	}
	st.n++
	if st.n%usageFlushEvery == 0 {
		return st.flush()
	}
	return nil
}

func (st *usageStream) flush() error {
	if err := st.buf.Flush(); err != nil {
		return err
	}
	if err := st.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	st.extend()
	return nil
}

// end closes the array.
func (st *usageStream) end() error {
	if !st.started() {
		if err := st.start(); err != nil {
			return err
		}
	}
	st.buf.WriteString("\n]\n")
	return st.flush()
}

// finishUsage ends the answer after the listing returned err: the closing
// bracket, an error status while nothing is out, or an abort.
func (s *Server) finishUsage(st *usageStream, err error) {
	if err == nil {
		err = st.end()
	}
	switch {
	case err == nil:
	case !st.started():
		api.Errorf(api.CodeInternal, "%v", err).Write(st.w)
	default:
		s.log.Warn("usage: a listing broke off; the reader gets a truncated answer", "records", st.n, "err", err)
		// The server closes the connection without ending the answer:
		// the reader sees the body cut, not a short list.
		panic(http.ErrAbortHandler)
	}
}

// studioKey is the key of a record's studio in its JSON; in a valid JSON
// document it cannot occur inside a string, where the quote would be
// escaped.
var studioKey = []byte(`"studio":`)

// writeOperatorRecord writes the stored record r as the operator reads it,
// an Entry with studio as its title's owner: the stored JSON as it is,
// with the studio and the ledger's kind added at its end. Decoding it
// only to encode it again cost most of a listing's time. A stored record
// that names a studio itself is decoded, so that the owner replaces it.
func writeOperatorRecord(b *bufio.Writer, r ledger.Raw, studio string) error {
	rec := bytes.TrimSpace(r.Record)
	if len(rec) < 2 || rec[0] != '{' || rec[len(rec)-1] != '}' || !json.Valid(rec) {
		return fmt.Errorf("ledger: a stored record is not a JSON object: %.40q", rec)
	}
	if bytes.Contains(rec, studioKey) {
		e, err := r.Entry()
		if err != nil {
			return err
		}
		e.Studio = studio
		return writeEntry(b, e)
	}
	b.Write(rec[:len(rec)-1])
	sep := ","
	if len(bytes.TrimSpace(rec[1:len(rec)-1])) == 0 {
		sep = ""
	}
	if studio != "" {
		b.WriteString(sep + `"studio":`)
		writeString(b, studio)
		sep = ","
	}
	b.WriteString(sep + `"ledger_kind":`)
	writeString(b, r.Kind)
	return b.WriteByte('}')
}

func writeEntry(b *bufio.Writer, e ledger.Entry) error {
	j, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = b.Write(j)
	return err
}

func writeString(b *bufio.Writer, s string) {
	j, _ := json.Marshal(s) // a string always marshals
	b.Write(j)
}
