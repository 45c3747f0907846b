//go:build !race

package stream

// floodChannels is how many channels TestChannelFlood opens.
const floodChannels = 5000
