package main

import (
	"bytes"
	"testing"
	"time"
)

func TestSummarise(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := summarise(ds)
	want := summary{p50: 50, p99: 99, mean: 50.5, max: 100}
	if got != want {
		t.Errorf("summarise = %+v, want %+v", got, want)
	}
	if one := summarise([]time.Duration{3 * time.Millisecond}); one.p50 != 3 || one.p99 != 3 {
		t.Errorf("one sample: %+v", one)
	}
}

func TestSceneMovesAndRepeats(t *testing.T) {
	const w, h = 320, 180
	s := newScene(w, h)
	a, b, c := make([]byte, 4*w*h), make([]byte, 4*w*h), make([]byte, 4*w*h)
	s.draw(a, 7)
	s.draw(b, 7)
	s.draw(c, 8)
	if !bytes.Equal(a, b) {
		t.Error("the same picture drawn twice differs")
	}
	if bytes.Equal(a, c) {
		t.Error("consecutive pictures are identical")
	}
}
