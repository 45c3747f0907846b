package gpu

import "strings"

// withoutNVENC are the GPU models that have no NVENC engine: NVIDIA's
// compute-only data-centre parts. It is the fallback for drivers that do
// not say so through NVML: driver 580 on an H200 answers the encoder
// capacity query with 100% left, for an encoder that does not exist.
var withoutNVENC = []string{"A100", "A30", "A800", "H100", "H800", "H200", "H20", "GH200", "B200", "GB200"}

// lacksNVENC reports whether the model named (as NVML names it, such as
// "NVIDIA H100 80GB HBM3" or "NVIDIA A100-SXM4-40GB") is one without NVENC.
// It compares whole words, so an RTX A3000, which has NVENC, is not taken
// for an A30.
func lacksNVENC(name string) bool {
	words := strings.FieldsFunc(name, func(r rune) bool { return r == ' ' || r == '-' })
	for _, w := range words {
		for _, m := range withoutNVENC {
			if strings.EqualFold(w, m) {
				return true
			}
		}
	}
	return false
}
