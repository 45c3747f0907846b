package gpu

import "testing"

func TestLacksNVENC(t *testing.T) {
	for name, want := range map[string]bool{
		"NVIDIA H100 80GB HBM3":       true,
		"NVIDIA H100 PCIe":            true,
		"NVIDIA H200":                 true,
		"NVIDIA H200 NVL":             true,
		"NVIDIA A100-SXM4-40GB":       true,
		"NVIDIA A30":                  true,
		"NVIDIA GH200 480GB":          true,
		"NVIDIA B200":                 true,
		"NVIDIA L4":                   false,
		"NVIDIA L40S":                 false,
		"NVIDIA RTX A3000 Laptop GPU": false,
		"NVIDIA GeForce RTX 4090":     false,
		"NVIDIA A10G":                 false,
		"":                            false,
	} {
		if got := lacksNVENC(name); got != want {
			t.Errorf("lacksNVENC(%q) = %v, want %v", name, got, want)
		}
	}
}
