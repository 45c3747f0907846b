package resume

import (
	"testing"
	"time"
)

func TestResumeTokens(t *testing.T) {
	key, other := []byte("cluster key 0123456789abcdef"), []byte("another key")
	now := time.Now()
	l := NewLineage()
	tok := Seal(key, "rocks", l, 7, now, []byte(`{"score":1200}`))
	tamper := []byte(tok)
	tamper[10] ^= 1
	tests := []struct {
		name, title, token string
		key                []byte
		at                 time.Time
		ok                 bool
	}{
		{"good", "rocks", tok, key, now, true},
		{"wrong key", "rocks", tok, other, now, false},
		{"other title", "testpattern", tok, key, now, false},
		{"tampered", "rocks", string(tamper), key, now, false},
		{"expired", "rocks", tok, key, now.Add(MaxAge + time.Second), false},
		{"garbage", "rocks", "!!", key, now, false},
		{"short", "rocks", "AAAA", key, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Open(tt.key, tt.title, tt.token, tt.at)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (string(got.State) != `{"score":1200}` || got.Lineage != l || got.Seq != 7) {
				t.Fatalf("opened %+v", got)
			}
		})
	}
}

// TestResumeTokensSpent: a token is taken once, and an older token of the
// same lineage (an earlier save) is refused after a newer one; another
// lineage is not affected.
func TestResumeTokensSpent(t *testing.T) {
	s := NewSpent()
	now := time.Now()
	a, b := NewLineage(), NewLineage()
	steps := []struct {
		name string
		tok  Token
		ok   bool
	}{
		{"first use", Token{Lineage: a, Seq: 3}, true},
		{"replayed", Token{Lineage: a, Seq: 3}, false},
		{"an older save", Token{Lineage: a, Seq: 2}, false},
		{"the next save", Token{Lineage: a, Seq: 4}, true},
		{"another player", Token{Lineage: b, Seq: 1}, true},
	}
	for _, st := range steps {
		if err := s.Take(st.tok, now, nil); (err == nil) != st.ok {
			t.Fatalf("%s: take = %v, want ok=%v", st.name, err, st.ok)
		}
	}
	// A join that never reached its player leaves the token usable.
	c := NewLineage()
	connected := false
	if err := s.Take(Token{Lineage: c, Seq: 1}, now, func() bool { return connected }); err != nil {
		t.Fatal(err)
	}
	if err := s.Take(Token{Lineage: c, Seq: 1}, now, func() bool { return connected }); err != nil {
		t.Fatalf("retry after a join that never connected: %v", err)
	}
	connected = true
	if err := s.Take(Token{Lineage: c, Seq: 1}, now, nil); err == nil {
		t.Fatal("a token used by a connected session was taken again")
	}
	// A flood of lineages cannot grow the memory past its bound.
	s.max = 100
	for range 1000 {
		if err := s.Take(Token{Lineage: NewLineage(), Seq: 1}, now, nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.by) > 100 {
		t.Fatalf("%d lineages remembered, bound 100", len(s.by))
	}
}
