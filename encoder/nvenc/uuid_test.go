package nvenc

import "testing"

func TestFormatUUID(t *testing.T) {
	u := [16]byte{0x6d, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71, 0x82, 0x93, 0xa4, 0xb5, 0xc6, 0xd7, 0xe8, 0xf9}
	got := formatUUID(u)
	want := "GPU-6d1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
	if got != want {
		t.Fatalf("formatUUID = %s, want %s", got, want)
	}
	tests := []struct {
		a, b string
		same bool
	}{
		{want, want, true},
		{want, "GPU-6D1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9", true},
		{want, "GPU-6d1b2c3d-4e5f-6071-8293-a4b5c6d7e8f0", false},
		{want, "MIG-6d1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", false},
	}
	for _, tt := range tests {
		if got := sameUUID(tt.a, tt.b); got != tt.same {
			t.Errorf("sameUUID(%s, %s) = %v", tt.a, tt.b, got)
		}
	}
}
