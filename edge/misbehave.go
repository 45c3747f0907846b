package edge

import "fmt"

// Misbehavior is a lie an edge can be made to tell, so that tests can
// show the network's checkers and signaling nodes catch it. An edge
// that misbehaves gossips as an honest one would: its capacity and free
// slots, its titles at their full frame rate.
type Misbehavior string

const (
	// MisbehaveNone is an honest edge.
	MisbehaveNone Misbehavior = ""
	// MisbehaveRefuse answers edge_full to every session it is asked to
	// start while gossip advertises its free slots.
	MisbehaveRefuse Misbehavior = "refuse"
	// MisbehaveSlow paces every session at slowFPS, whatever the title's
	// rate.
	MisbehaveSlow Misbehavior = "slow"
)

// slowFPS is what a slow edge delivers: a third of testpattern's 60,
// far enough below it that no honest edge on a busy machine gets there.
const slowFPS = 20

func (m Misbehavior) check() error {
	switch m {
	case MisbehaveNone, MisbehaveRefuse, MisbehaveSlow:
		return nil
	}
	return fmt.Errorf("edge: misbehavior %q: want %q or %q", string(m), MisbehaveRefuse, MisbehaveSlow)
}

// maxFPS is the cap a slow edge puts on its sessions' frame rate; 0: none.
func (m Misbehavior) maxFPS() int {
	if m == MisbehaveSlow {
		return slowFPS
	}
	return 0
}
