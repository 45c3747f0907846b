package clustertest

// ManyPlayers are the flags that let a signaling node (stratus signal or
// serve) admit every player of a test or benchmark: they all come from
// loopback, so to its per-client limits they are one address.
func ManyPlayers() []string {
	return []string{"-websockets-per-ip", "1000", "-joins-per-minute", "10000", "-sessions-per-player", "1000"}
}
