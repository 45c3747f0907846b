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
	return decode(pix, stride, 4, 1)
}

// DecodeLuma reads the cells from a frame's luma plane (Y of I420, as a
// decoder gives it), stride bytes a row.
func DecodeLuma(y []byte, stride int) (renderMs uint32, inputs uint32) {
	return decode(y, stride, 1, 0)
}

// decode samples each cell's centre in pix, whose pixels are size bytes
// with the sampled channel at offset off.
func decode(pix []byte, stride, size, off int) (uint32, uint32) {
	if stride < size*Cells*CellSize || len(pix) < (Rows*CellSize-1)*stride+size*Cells*CellSize {
		return 0, 0
	}
	var v [Rows]uint32
	for row := range Rows {
		y := row*CellSize + CellSize/2
		for i := range Cells {
			x := i*CellSize + CellSize/2
			v[row] <<= 1
			if pix[y*stride+size*x+off] >= threshold {
				v[row] |= 1
			}
		}
	}
	return v[0], v[1]
}
