package netem

import (
	"fmt"
	"slices"
	"strings"
)

// Block is traffic a Veth's namespace may neither send nor receive: a
// firewall between the player and the service, as on networks that block
// UDP (every port) or a service's TCP port.
type Block struct {
	// Proto is "udp" or "tcp".
	Proto string
	// Port, when not 0, blocks only packets to or from it (1 to 65535);
	// 0 blocks the whole protocol.
	Port int
}

func (b Block) validate() error {
	var errs []string
	if b.Proto != "udp" && b.Proto != "tcp" {
		errs = append(errs, fmt.Sprintf("protocol %q: want udp or tcp", b.Proto))
	}
	if b.Port < 0 || b.Port > 65535 {
		errs = append(errs, fmt.Sprintf("port %d: must be 0 (all) or 1 to 65535", b.Port))
	}
	if len(errs) > 0 {
		return fmt.Errorf("netem: block: %s", strings.Join(errs, "; "))
	}
	return nil
}

// rules are b as nftables matches. A port matches as either end's, so
// that it blocks a server in the namespace as well as one outside.
func (b Block) rules() []string {
	if b.Port == 0 {
		return []string{"meta l4proto " + b.Proto}
	}
	return []string{
		fmt.Sprintf("meta l4proto %s th sport %d", b.Proto, b.Port),
		fmt.Sprintf("meta l4proto %s th dport %d", b.Proto, b.Port),
	}
}

// Block drops the traffic b names on the namespace's end of the pair, in
// both directions, in addition to what earlier calls block; Unblock lifts
// them all. The rules live in an nftables table of this Veth's own in the
// namespace (not the host's), so they apply to every process there
// (Chromium, for one) and never to the host's other traffic; Close removes
// the table. A blocked send fails at once (EPERM), as behind a firewall
// that rejects; a blocked arrival is dropped silently.
func (v *Veth) Block(b Block) error {
	if err := b.validate(); err != nil {
		return err
	}
	if err := v.live(); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	blocks := append(slices.Clone(v.blocks), b)
	if err := v.writeBlocks(blocks); err != nil {
		return err
	}
	v.blocks = blocks
	return nil
}

// Unblock lifts every Block.
func (v *Veth) Unblock() error {
	if err := v.live(); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.writeBlocks(nil); err != nil {
		return err
	}
	v.blocks = nil
	return nil
}

// writeBlocks replaces the namespace's block table with blocks (none:
// removes it), atomically. v.mu is held.
func (v *Veth) writeBlocks(blocks []Block) error {
	table := v.table + "_block"
	// Declaring the table first makes the delete succeed when it is not
	// there yet.
	script := fmt.Sprintf("table inet %[1]s {}\ndelete table inet %[1]s\n", table)
	if len(blocks) > 0 {
		var in, out strings.Builder
		for _, b := range blocks {
			for _, r := range b.rules() {
				fmt.Fprintf(&out, "  oifname %q %s drop\n", v.nsDev, r)
				fmt.Fprintf(&in, "  iifname %q %s drop\n", v.nsDev, r)
			}
		}
		script += fmt.Sprintf("table inet %s {\n chain out {\n  type filter hook output priority 0; policy accept;\n%s }\n"+
			" chain in {\n  type filter hook input priority 0; policy accept;\n%s }\n}\n", table, out.String(), in.String())
	}
	cmd := v.ns.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if err := runCmd(cmd); err != nil {
		return fmt.Errorf("netem: veth block: %w", err)
	}
	return nil
}

// unblockAll removes the block table if there is one; for Close.
func (v *Veth) unblockAll() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.blocks) == 0 {
		return nil
	}
	v.blocks = nil
	if err := runCmd(v.ns.Command("nft", "delete", "table", "inet", v.table+"_block")); err != nil {
		return fmt.Errorf("netem: veth unblock: %w", err)
	}
	return nil
}
