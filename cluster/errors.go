package cluster

// Error is the type of the package's sentinel errors. They are constants,
// not variables, so nothing can reassign them; match them with errors.Is.
type Error string

func (e Error) Error() string { return string(e) }

const (
	// ErrClosed is returned by a Pool's methods after Close.
	ErrClosed Error = "cluster: pool is closed"
	// ErrLeft is returned by SetMeta after Leave.
	ErrLeft Error = "cluster: node has left the pool"
	// ErrBroadcastUnconfirmed is wrapped by SetMeta's error when the new
	// metadata is in effect but memberlist had not finished broadcasting it
	// when the wait ended (a busy or shrinking pool). Gossip and state syncs
	// still spread it; callers may log it at debug and carry on.
	ErrBroadcastUnconfirmed Error = "cluster: metadata broadcast not confirmed in time"
	// ErrMetaTooLarge is wrapped by Encode (and so SetMeta and NewPool)
	// when the metadata does not fit in MaxMetaSize bytes even without its
	// title list.
	ErrMetaTooLarge Error = "cluster: metadata too large to gossip"
)
