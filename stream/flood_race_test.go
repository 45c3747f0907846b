//go:build race

package stream

// floodChannels is TestChannelFlood's flood under the race detector, which
// slows Pion's handling of each channel tenfold: fewer channels, the same
// attack.
const floodChannels = 1000
