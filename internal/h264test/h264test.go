// Package h264test holds what the encoder tests share: a synthetic moving
// picture to encode, and a reader of the Annex-B access units that come out.
package h264test

import (
	"bytes"
	"errors"
	"fmt"

	"stratus/encoder"
)

// NAL unit types the tests look for.
const (
	NALSlice = 1
	NALIDR   = 5
	NALSEI   = 6
	NALSPS   = 7
	NALPPS   = 8
)

// Scene draws picture i of a panning textured background with a moving
// box, so that the encoder sees both global and local motion.
func Scene(pic *encoder.I420, i int) {
	for y := range pic.Height {
		row := pic.Y[y*pic.StrideY:]
		for x := range pic.Width {
			wx, wy := x+4*i, y+2*i
			v := (wx+wy)/8 + int(uint32(wx/4*2654435761^wy/4*40503)>>28)*6
			if x >= 100+8*i%1000 && x < 260+8*i%1000 && y >= 200 && y < 360 {
				v = 235 - (x+y)%16
			}
			row[x] = byte(16 + v%220)
		}
	}
	for y := range (pic.Height + 1) / 2 {
		for x := range (pic.Width + 1) / 2 {
			pic.U[y*pic.StrideU+x] = byte(128 + (x+2*i)%64 - 32)
			pic.V[y*pic.StrideV+x] = byte(128 + (y+i)%48 - 24)
		}
	}
}

// Scenes draws the first n pictures of the scene at w×h.
func Scenes(w, h, n int) []*encoder.I420 {
	pics := make([]*encoder.I420, n)
	for i := range pics {
		pics[i] = encoder.NewI420(w, h)
		Scene(pics[i], i)
	}
	return pics
}

// NALUnits splits an Annex-B access unit at its start codes; an access
// unit that does not begin with one is an error.
func NALUnits(au []byte) ([][]byte, error) {
	if !bytes.HasPrefix(au, []byte{0, 0, 1}) && !bytes.HasPrefix(au, []byte{0, 0, 0, 1}) {
		return nil, fmt.Errorf("no start code at the beginning: % x", au[:min(len(au), 8)])
	}
	var nals [][]byte
	for _, part := range bytes.Split(au, []byte{0, 0, 1}) {
		// A four-byte start code leaves a zero at the end of the part
		// before it; emulation prevention keeps zeros from ending a NAL.
		part = bytes.TrimRight(part, "\x00")
		if len(part) > 0 {
			nals = append(nals, part)
		}
	}
	if len(nals) == 0 {
		return nil, errors.New("no NAL units")
	}
	return nals, nil
}

// Picture describes one access unit: its NAL unit types, how many of its
// slices start a picture (first_mb_in_slice 0, coded as a single 1 bit),
// and the SPS's first bytes (profile, constraints, level) when there is one.
type Picture struct {
	Types  []int
	Starts int
	SPS    []byte
}

// Parse reads an access unit.
func Parse(au []byte) (Picture, error) {
	nals, err := NALUnits(au)
	if err != nil {
		return Picture{}, err
	}
	var p Picture
	for _, nal := range nals {
		typ := int(nal[0] & 0x1f)
		p.Types = append(p.Types, typ)
		if (typ == NALIDR || typ == NALSlice) && len(nal) > 1 && nal[1]&0x80 != 0 {
			p.Starts++
		}
		if typ == NALSPS && len(nal) >= 4 {
			p.SPS = nal[1:4]
		}
	}
	return p, nil
}

// Has reports whether the access unit holds a NAL unit of type typ.
func (p Picture) Has(typ int) bool {
	for _, t := range p.Types {
		if t == typ {
			return true
		}
	}
	return false
}
