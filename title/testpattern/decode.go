package testpattern

// threshold splits white from black. Sampling one pixel at each cell's
// centre, eight pixels from any edge, keeps the decision clear of the
// ringing that compression leaves along cell borders.
const threshold = 128

// Decode reads the cells of a frame in RGBA (or BGRA: it samples green,
// the channel closest to luma, which both orders keep in place). stride is
// the bytes from one row to the next. A buffer too small to hold the cell
// band decodes as zeros.
func Decode(pix []byte, stride int) (renderMs uint32, inputs uint32) {
	if stride < 4*Cells*CellSize || len(pix) < (Rows*CellSize-1)*stride+4*Cells*CellSize {
		return 0, 0
	}
	var v [Rows]uint32
	for row := range Rows {
		y := row*CellSize + CellSize/2
		for i := range Cells {
			x := i*CellSize + CellSize/2
			v[row] <<= 1
			if pix[y*stride+4*x+1] >= threshold {
				v[row] |= 1
			}
		}
	}
	return v[0], v[1]
}
