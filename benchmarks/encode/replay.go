package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"stratus/encoder"
	"stratus/encoder/x264"
)

// replay encodes the pictures in raw back to back, the way ffmpeg reads
// them. The live loop renders and converts between two encodes, which
// evicts x264's reference pictures from the cache; replaying gives the
// wrapper the same conditions as ffmpeg, so the ratio measures the wrapper
// and not the pipeline around it.
func replay(o options, raw string, log *slog.Logger) ([]time.Duration, error) {
	enc, err := x264.New(config(o), log)
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	f, err := os.Open(raw)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	in := bufio.NewReaderSize(f, 1<<20)
	pic := encoder.NewI420(width, height)
	times := make([]time.Duration, 0, o.frames)
	for i := range o.frames {
		for _, p := range [][]byte{pic.Y, pic.U, pic.V} {
			if _, err := io.ReadFull(in, p); err != nil {
				return nil, fmt.Errorf("reading picture %d: %w", i, err)
			}
		}
		t0 := time.Now()
		if _, err := enc.Encode(pic); err != nil {
			return nil, fmt.Errorf("replaying picture %d: %w", i, err)
		}
		times = append(times, time.Since(t0))
	}
	return times, nil
}

func config(o options) encoder.Config {
	return encoder.Config{Width: width, Height: height, FPS: fps, Bitrate: o.bitrate, Threads: o.threads}
}
