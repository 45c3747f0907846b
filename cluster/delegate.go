package cluster

import (
	"sync/atomic"

	"github.com/hashicorp/memberlist"
)

// Encode keeps metadata within MaxMetaSize; memberlist panics beyond its own
// limit, so ours must never exceed it. This fails to compile if it does.
const _ = uint(memberlist.MetaMaxSize - MaxMetaSize)

// localMeta is this node's metadata and the bytes gossiped for it. Both are
// replaced together, never modified, so NodeMeta can hand out wire as is.
type localMeta struct {
	meta Meta
	wire []byte
}

// delegate gives memberlist this node's metadata. The pool uses no user
// messages, broadcasts or extra push/pull state: everything it shares is in
// the metadata, which memberlist already gossips and syncs.
type delegate struct {
	local *atomic.Pointer[localMeta]
}

func (d delegate) NodeMeta(limit int) []byte {
	lm := d.local.Load()
	if lm == nil || len(lm.wire) > limit {
		// Unreachable with Encode's guarantee; sending nothing beats a panic.
		return nil
	}
	return lm.wire
}

func (delegate) NotifyMsg([]byte)                           {}
func (delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (delegate) LocalState(join bool) []byte                { return nil }
func (delegate) MergeRemoteState(buf []byte, join bool)     {}

// events feeds memberlist's membership changes into the view. memberlist
// calls these one at a time, holding its node lock: they must not block or
// call back into memberlist.
type events struct {
	view *view
}

func (e events) NotifyJoin(n *memberlist.Node)   { e.view.notifyJoin(n) }
func (e events) NotifyUpdate(n *memberlist.Node) { e.view.notifyUpdate(n) }
func (e events) NotifyLeave(n *memberlist.Node)  { e.view.notifyLeave(n) }
