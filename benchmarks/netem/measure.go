package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"stratus/internal/netem"
)

// rttResult is what a ping series measured.
type rttResult struct {
	sent, back    int
	min, p50, p99 time.Duration
}

// pingSeries sends n numbered UDP pings from the host to an echo server in
// ns, one every gap, and waits up to 2 s after the last for stragglers.
func pingSeries(ctx context.Context, ns *netem.Namespace, n int, gap time.Duration) (rttResult, error) {
	srv, err := ns.ListenPacket("udp4", netip.AddrPortFrom(ns.Addr(), 0).String())
	if err != nil {
		return rttResult{}, err
	}
	defer srv.Close()
	go func() { // ends when srv is closed
		buf := make([]byte, 2048)
		for {
			k, from, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			srv.WriteTo(buf[:k], from)
		}
	}()
	c, err := net.DialUDP("udp4", nil, srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		return rttResult{}, err
	}
	defer c.Close()
	sent := make([]time.Time, n)
	got := make(chan []time.Duration, 1)
	go func() { // ends at its read deadline or when all came back
		var out []time.Duration
		buf := make([]byte, 64)
		for len(out) < n {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			k, err := c.Read(buf)
			if err != nil {
				break
			}
			if i := int(buf[0])<<16 | int(buf[1])<<8 | int(buf[2]); k >= 3 && i < n {
				out = append(out, time.Since(sent[i]))
			}
		}
		got <- out
	}()
	start := time.Now()
	for i := range n {
		if ctx.Err() != nil {
			return rttResult{}, ctx.Err()
		}
		sent[i] = time.Now()
		c.Write([]byte{byte(i >> 16), byte(i >> 8), byte(i), 0})
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * gap)))
	}
	d := <-got
	if len(d) == 0 {
		return rttResult{}, errors.New("no ping came back")
	}
	slices.Sort(d)
	q := func(f float64) time.Duration { return d[min(len(d)-1, int(f*float64(len(d))))] }
	return rttResult{sent: n, back: len(d), min: d[0], p50: q(0.5), p99: q(0.99)}, nil
}

// flowResult is what a one-way UDP flow from the host into ns measured.
type flowResult struct {
	sent, arrived int
	// rate is the IP bytes (payload + 28 bytes of IP and UDP headers) that
	// arrived in the measured window, per second.
	rate float64
}

// flow sends size-byte datagrams from the host to a sink in ns at offered
// bit/s for dur. Sends refused by the kernel (an nftables drop, a full
// qdisc) count as sent and lost. The rate is measured over the arrivals
// after warm, so the queue filling at the start does not count.
func flow(ctx context.Context, ns *netem.Namespace, offered float64, size int, dur, warm time.Duration) (flowResult, error) {
	sink, err := ns.ListenPacket("udp4", netip.AddrPortFrom(ns.Addr(), 0).String())
	if err != nil {
		return flowResult{}, err
	}
	defer sink.Close()
	sink.(*net.UDPConn).SetReadBuffer(8 << 20)
	type arrival struct {
		at   time.Time
		size int
	}
	got := make(chan []arrival, 1)
	go func() { // ends 500 ms after the last arrival
		var out []arrival
		buf := make([]byte, 2048)
		for {
			sink.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			k, _, err := sink.ReadFrom(buf)
			if err != nil {
				got <- out
				return
			}
			out = append(out, arrival{time.Now(), k + 28})
		}
	}()
	c, err := net.DialUDP("udp4", nil, sink.LocalAddr().(*net.UDPAddr))
	if err != nil {
		return flowResult{}, err
	}
	defer c.Close()
	gap := time.Duration(float64(size+28) * 8 / offered * float64(time.Second))
	msg := make([]byte, size)
	start := time.Now()
	n := 0
	for time.Since(start) < dur {
		if ctx.Err() != nil {
			return flowResult{}, ctx.Err()
		}
		if _, err := c.Write(msg); err != nil && !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.ENOBUFS) {
			return flowResult{}, fmt.Errorf("send: %w", err)
		}
		n++
		time.Sleep(time.Until(start.Add(time.Duration(n) * gap)))
	}
	end := time.Now()
	arr := <-got
	r := flowResult{sent: n, arrived: len(arr)}
	var first, last time.Time
	bytes := 0
	for _, a := range arr {
		if a.at.Before(start.Add(warm)) || a.at.After(end) {
			continue
		}
		if first.IsZero() {
			first = a.at
		} else {
			bytes += a.size // the first packet opens the window
		}
		last = a.at
	}
	if last.After(first) {
		r.rate = float64(bytes) * 8 / last.Sub(first).Seconds()
	}
	return r, nil
}
