// Package readback reads back what package nvenc's C writes into NVENC's
// structs, bit fields included, so that nvenc's tests check the copy of
// the encoder's parameters without a driver. It is a package of its own
// because test files cannot use cgo, and so that production builds carry
// none of it. It needs cgo; without it the package is empty.
package readback
