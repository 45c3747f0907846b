package route

import (
	"math"
	"strconv"
	"strings"

	"stratus/cluster"
)

// reasons collects every candidate's Reason in one builder; each Reason is
// then a substring of its one string. Formatting a string per candidate
// would cost an allocation per edge, and the explain view has thousands.
type reasons struct {
	strings.Builder
	// num holds a number while it is formatted, so formatting needs no
	// allocation.
	num [32]byte
}

func (w *reasons) int(v int) { w.Write(strconv.AppendInt(w.num[:0], int64(v), 10)) }

// fixed writes v with 1 or 2 decimals.
func (w *reasons) fixed(v float64, decimals int) { w.Write(appendFixed(w.num[:0], v, decimals)) }

func (w *reasons) ms(v float64) {
	w.fixed(v, 1)
	w.WriteString("ms")
}

// quoted quotes an id (title, role, health). Ids are short ASCII names;
// strconv.Quote's escaping is not worth its cost here.
func (w *reasons) quoted(s string) {
	w.WriteByte('"')
	w.WriteString(s)
	w.WriteByte('"')
}

// write adds a candidate's Reason: the faults that make it ineligible, or
// the terms of its score.
func (w *reasons) write(r *Router, q *query, e *Edge, ev *eval) {
	if ev.flags&ineligible != 0 {
		w.faults(q, e, ev)
		return
	}
	w.WriteString("rtt ")
	w.ms(millis(ev.rtt))
	w.WriteByte(' ')
	w.WriteString(ev.src.String())
	w.WriteString(" + load ")
	w.fixed(ev.load, 2)
	w.WriteString(r.loadTerm)
	w.fixed(ev.util, 2)
	w.WriteString(r.utilTerm)
	if ev.qos > 0 {
		w.WriteString(" + ")
		if e.QoSWhy != "" {
			w.WriteString(e.QoSWhy)
		} else {
			w.WriteString("checks short")
		}
		w.WriteByte(' ')
		w.fixed(ev.qos, 2)
		w.WriteString(r.qosTerm)
	}
	w.WriteString(" = ")
	w.ms(ev.score)
	if ev.reserved > 0 {
		w.WriteString("; ")
		w.int(ev.reserved)
		w.WriteString(" reserved by this node")
	}
	if ev.flags&assumedTitle != 0 {
		w.WriteString("; titles gossiped as a digest, assumed to offer ")
		w.WriteString(q.title)
	}
}

func (w *reasons) faults(q *query, e *Edge, ev *eval) {
	start := w.Len()
	sep := func() {
		if w.Len() > start {
			w.WriteString("; ")
		}
	}
	m := &e.Meta
	if ev.flags&notEdge != 0 {
		w.WriteString("not an edge (role ")
		w.quoted(string(m.Role))
		w.WriteByte(')')
	}
	if ev.flags&unhealthy != 0 {
		sep()
		switch m.Health {
		case cluster.HealthDraining, cluster.HealthDegraded:
			w.WriteString(string(m.Health))
		default:
			w.WriteString("health ")
			w.quoted(string(m.Health))
		}
	}
	if ev.flags&noTitle != 0 {
		sep()
		w.WriteString("does not offer ")
		w.quoted(q.title)
	}
	if ev.flags&excluded != 0 {
		sep()
		w.WriteString("excluded: the player just failed on it")
	}
	if ev.flags&full != 0 {
		sep()
		w.WriteString("full (")
		w.int(m.Free)
		w.WriteString(" free of ")
		w.int(m.Capacity)
		if ev.reserved > 0 {
			w.WriteString(", ")
			w.int(ev.reserved)
			w.WriteString(" reserved by this node")
		}
		w.WriteByte(')')
	}
}

// appendFixed writes v with 1 or 2 decimals: what
// strconv.AppendFloat(b, v, 'f', decimals, 64) writes for the values
// reasons carry, in integer arithmetic, which is several times faster.
func appendFixed(b []byte, v float64, decimals int) []byte {
	scale := int64(10)
	if decimals == 2 {
		scale = 100
	}
	if !(v >= 0 && v < 1e12) {
		return strconv.AppendFloat(b, v, 'f', decimals, 64)
	}
	x := int64(math.Round(v * float64(scale)))
	b = strconv.AppendInt(b, x/scale, 10)
	b = append(b, '.')
	frac := x % scale
	if scale == 100 && frac < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, frac, 10)
}
