package main

import (
	"fmt"

	"stratus/internal/netem"
)

// path is the player's link for one run: the userspace Link, which models
// delay, loss and a queue, or a Veth that the kernel shapes (tc) and drops
// on (nftables), which is what an operator would use but has no delay.
type path interface {
	set(phase) error
	// sentBytes counts the IP bytes the server put towards the player.
	sentBytes() (uint64, error)
}

func newPath(ns *netem.Namespace, first phase) (path, error) {
	if first.veth == nil {
		l, err := netem.NewLink(netem.LinkConfig{Namespace: ns, Impairment: first.im})
		if err != nil {
			return nil, err
		}
		return linkPath{l}, nil
	}
	v, err := netem.NewVeth(netem.VethConfig{Namespace: ns})
	if err != nil {
		return nil, err
	}
	p := vethPath{v}
	return p, p.set(first)
}

type linkPath struct{ l *netem.Link }

func (p linkPath) set(ph phase) error { return p.l.Set(ph.im) }

func (p linkPath) sentBytes() (uint64, error) { return p.l.Stats().ToNamespace.ReadBytes, nil }

type vethPath struct{ v *netem.Veth }

func (p vethPath) set(ph phase) error {
	if ph.veth == nil {
		return fmt.Errorf("a veth scenario's phases all need a vethShape")
	}
	if q := ph.veth.qdisc; q != nil {
		if err := p.v.Shape(netem.HostSide, *q); err != nil {
			return err
		}
	} else {
		p.v.Unshape(netem.HostSide) // fails only where there is none
	}
	return p.v.Loss(netem.HostSide, ph.veth.loss)
}

// sentBytes is what the host's end transmitted: what the qdisc let
// through, so at most the link's rate.
func (p vethPath) sentBytes() (uint64, error) { return p.v.SentBytes(netem.HostSide) }
