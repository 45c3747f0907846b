package nvenc

import (
	"encoding/hex"
	"strings"
)

// formatUUID spells a CUDA device UUID as NVML does:
// GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.
func formatUUID(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return "GPU-" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// sameUUID compares two UUIDs as NVML prints them, ignoring case; a MIG
// instance's UUID ("MIG-…") never matches a whole GPU.
func sameUUID(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
