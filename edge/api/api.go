// Package api is the protocol between signaling nodes and edges: JSON over
// HTTP, served by an edge under /v1/. It holds the wire types and a client,
// and nothing of the edge itself, so that signaling links no media code.
//
//	GET    /v1/titles                       → []Title it can run; ?all=1: every
//	                                          catalog title, with why not
//	POST   /v1/sessions                     CreateRequest → 201 CreateResponse
//	POST   /v1/standbys                     CreateRequest → 201 CreateResponse: a
//	                                          standby (no title runs until the page
//	                                          activates it on its data channel); its
//	                                          id takes candidates and DELETE as a session's
//	POST   /v1/sessions/{id}/candidates     Candidate → 204
//	DELETE /v1/sessions/{id}                → 204
//	GET    /v1/sessions                     → []SessionInfo
//	GET    /v1/status                       → Status
//	GET    /v1/probe                        → 204, for the player's RTT probe
//	POST   /v1/drain                        → 202; the edge takes no new players
//	                                          and moves its players elsewhere
//
// Failures answer with a non-2xx status and an Error body whose Code the
// signaling node passes on to the player (codes.go).
package api

import (
	"time"

	"stratus/title/manifest"
)

// Title is one entry of an edge's catalog.
type Title struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Inputs      []string `json:"inputs"`
	Width       int      `json:"width"`
	Height      int      `json:"height"`
	FPS         int      `json:"fps"`
	// Version and Runtime of a studio title; empty for built-in ones.
	Version string `json:"version,omitempty"`
	Runtime string `json:"runtime,omitempty"`
	// Touch is the on-screen control set phones show, when the title
	// has one.
	Touch *manifest.Touch `json:"touch,omitempty"`
	// Runnable is false for a catalog title this edge cannot run, and
	// Reason says why; such titles are listed only on request (?all=1).
	Runnable bool   `json:"runnable"`
	Reason   string `json:"reason,omitempty"`
	// Renders says, for a title that draws with OpenGL or Vulkan, where
	// its sessions render now: on a GPU, or on the CPU and why.
	Renders string `json:"renders,omitempty"`
}

// CreateRequest starts a session for a player.
type CreateRequest struct {
	Title string `json:"title"`
	// Offer is the player's SDP offer.
	Offer string `json:"offer"`
	// Resume, when set, is a resume token (saved title state, signed by an
	// edge of the cluster) that the page got from its previous edge.
	Resume string `json:"resume,omitempty"`
	// Player is who plays, as the signaling node's sign-in check found
	// (the token's subject); empty for an anonymous player. The edge only
	// shows it: the ticket's subject is the title, so the edge takes the
	// node's word for it.
	Player string `json:"player,omitempty"`
}

// MaxPlayerBytes bounds CreateRequest.Player: an OpenID Connect subject is
// at most 255 characters.
const MaxPlayerBytes = 255

// CreateResponse is a started session.
type CreateResponse struct {
	ID     string `json:"id"`
	Edge   string `json:"edge"`
	Region string `json:"region"`
	// Answer is the edge's SDP answer with all its ICE candidates.
	Answer string `json:"answer"`
	// Resumed says the title continues from the request's resume token.
	Resumed bool `json:"resumed,omitempty"`
}

// Candidate is a trickled ICE candidate from the player.
type Candidate struct {
	Candidate     string  `json:"candidate"`
	SDPMid        *string `json:"sdpMid,omitempty"`
	SDPMLineIndex *uint16 `json:"sdpMLineIndex,omitempty"`
}

// SessionInfo describes a running session.
type SessionInfo struct {
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	Edge    string    `json:"edge"`
	Region  string    `json:"region"`
	Started time.Time `json:"started"`
	State   string    `json:"state"`
	Encoder string    `json:"encoder"`
	// Player is the signed-in player's subject (CreateRequest.Player).
	Player string `json:"player,omitempty"`
	// Renderer names what draws a studio game's picture (see
	// title.Info.Renderer).
	Renderer string  `json:"renderer,omitempty"`
	FPS      float64 `json:"fps"`
	// Stats holds the session's and the connection's figures.
	Stats any `json:"stats,omitempty"`
}

// Status is an edge's health and load.
type Status struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	Health string `json:"health"`
	// HealthReason says why Health is not "ok" (a lost GPU, say).
	HealthReason string `json:"health_reason,omitempty"`
	// Capacity counts software and NVENC sessions (see GPUs).
	Capacity int `json:"capacity"`
	Active   int `json:"active"`
	Free     int `json:"free"`
	// Standbys counts the standby connections held (they take no slot).
	Standbys int           `json:"standbys"`
	MediaUDP string        `json:"media_udp"`
	MediaTCP string        `json:"media_tcp,omitempty"`
	Encoders []string      `json:"encoders"`
	Sessions []SessionInfo `json:"sessions"`
	Started  time.Time     `json:"started"`
	// GPUs is absent on an edge without an NVIDIA driver.
	GPUs *GPUs `json:"gpus,omitempty"`
	// Probe is the URL pages measure their round trip to this edge on:
	// a listener of its own when the edge has one (Config.ProbeURL).
	// Absent from an edge that does not say, whose API serves it.
	Probe string `json:"probe,omitempty"`
}

// GPUs is an edge's GPU inventory as its admission sees it. It mirrors the
// edge's NVML reading rather than importing it, so that signaling links no
// NVIDIA code.
type GPUs struct {
	Driver string `json:"driver,omitempty"`
	CUDA   string `json:"cuda,omitempty"`
	// SoftwareCapacity and NVENCCapacity make up Status.Capacity: the
	// sessions encoded with x264, and those the GPUs take.
	SoftwareCapacity int `json:"software_capacity"`
	NVENCCapacity    int `json:"nvenc_capacity"`
	// Err is set when the GPUs could not be listed.
	Err     string `json:"err,omitempty"`
	Devices []GPU  `json:"devices"`
}

// GPU is one of an edge's GPUs.
type GPU struct {
	Index int    `json:"index"`
	Name  string `json:"name,omitempty"`
	UUID  string `json:"uuid,omitempty"`
	// NVENC says the GPU has a usable encoder engine.
	NVENC       bool   `json:"nvenc"`
	MemoryUsed  uint64 `json:"memory_used"`
	MemoryTotal uint64 `json:"memory_total"`
	// EncoderSessions counts every process's encoder sessions on the GPU;
	// Sessions counts this edge's, set-ups included.
	EncoderSessions int `json:"encoder_sessions"`
	Sessions        int `json:"sessions"`
	// Free is how many more sessions admission would put on the GPU; Why
	// says what stops it when none.
	Free int    `json:"free"`
	Why  string `json:"why,omitempty"`
	// Err says why the GPU is out of use (lost, failing).
	Err string `json:"err,omitempty"`
}
