package uinput

import "stratus/input"

// Facts from the kernel's UAPI headers (linux/input.h,
// linux/input-event-codes.h, linux/uinput.h). They are ABI and never change
// meaning, so they are written out here rather than generated.

// Event types and the one synchronisation code used.
const (
	evSyn     = 0x00
	evKey     = 0x01
	evAbs     = 0x03
	synReport = 0x00
)

// Gamepad key codes. BTN_NORTH and BTN_X are the same number (0x133), as are
// BTN_WEST and BTN_Y (0x134); see keyTable for which pad button goes where.
const (
	btnSouth  = 0x130 // BTN_A
	btnEast   = 0x131 // BTN_B
	btnNorth  = 0x133 // BTN_X
	btnWest   = 0x134 // BTN_Y
	btnTL     = 0x136
	btnTR     = 0x137
	btnSelect = 0x13a
	btnStart  = 0x13b
	btnMode   = 0x13c
	btnThumbL = 0x13d
	btnThumbR = 0x13e
)

// Absolute axis codes.
const (
	absX     = 0x00
	absY     = 0x01
	absZ     = 0x02
	absRX    = 0x03
	absRY    = 0x04
	absRZ    = 0x05
	absHat0X = 0x10
	absHat0Y = 0x11
)

// Identity of the device: a wired Xbox 360 pad as the xpad driver presents
// it (USB, 045e:028e, version 0x0114). SDL's controller database keys its
// mapping on exactly these numbers, so games see a known controller with A,
// B, X, Y where the player expects them.
const (
	busUSB        = 0x03
	vendorMS      = 0x045e
	productX360   = 0x028e
	versionX360   = 0x0114
	defaultName   = "Microsoft X-Box 360 pad"
	maxNameSize   = 80 // UINPUT_MAX_NAME_SIZE, terminating NUL included
	setupSize     = 92 // struct uinput_setup: input_id (8) + name + ff_effects_max (4)
	absSetupSize  = 28 // struct uinput_abs_setup: code, 2 filler bytes, input_absinfo (24)
	ioctlIntSize  = 4  // sizeof(int), the argument type of the UI_SET_*BIT ioctls
	uinputIoctlID = 'U'
)

// Ioctl request numbers in the asm-generic encoding used by x86, arm and
// riscv (_IOC): direction in bits 30-31, argument size in 16-29, type 'U' in
// 8-15, number in 0-7. They are spelled out as constant expressions, not
// copied as hex, so the struct sizes above stay the single source; the tests
// pin the resulting numbers. (powerpc, mips and sparc encode differently;
// the edge does not run on them.)
const (
	iocWrite = 1 << 30
	iocType  = uinputIoctlID << 8

	uiDevCreate  = iocType | 1                                 // UI_DEV_CREATE
	uiDevDestroy = iocType | 2                                 // UI_DEV_DESTROY
	uiDevSetup   = iocWrite | setupSize<<16 | iocType | 3      // UI_DEV_SETUP
	uiAbsSetup   = iocWrite | absSetupSize<<16 | iocType | 4   // UI_ABS_SETUP
	uiSetEvBit   = iocWrite | ioctlIntSize<<16 | iocType | 100 // UI_SET_EVBIT
	uiSetKeyBit  = iocWrite | ioctlIntSize<<16 | iocType | 101 // UI_SET_KEYBIT
	uiSetAbsBit  = iocWrite | ioctlIntSize<<16 | iocType | 103 // UI_SET_ABSBIT
)

// keyTable maps the page's standard-mapping buttons (W3C Gamepad order) to
// key codes, in the order the xpad driver declares them.
//
// The W3C layout is positional: A bottom, B right, X left, Y top. The kernel
// documentation would put the left button on BTN_WEST, but BTN_WEST is the
// same code as BTN_Y, and every real Xbox pad on Linux (xpad, xpadneo, xone)
// reports its left "X" button as BTN_X = BTN_NORTH and its top "Y" as BTN_Y
// = BTN_WEST. SDL's database entry for 045e:028e (x:b2, y:b3) and Steam Input
// assume that, so following the driver rather than the compass names is what
// makes a game show "X" when the player presses the left button.
//
// LT and RT are not keys: an Xbox 360 pad has analog triggers only, and a
// BTN_TL2/BTN_TR2 key would shift Back, Start and Guide to other SDL button
// numbers and break the database mapping. The d-pad is a hat for the same
// reason (the mapping reads it as h0), see report.
var keyTable = [...]struct {
	bit  int
	code uint16
}{
	{input.PadA, btnSouth},
	{input.PadB, btnEast},
	{input.PadX, btnNorth},
	{input.PadY, btnWest},
	{input.PadLB, btnTL},
	{input.PadRB, btnTR},
	{input.PadSelect, btnSelect},
	{input.PadStart, btnStart},
	{input.PadHome, btnMode},
	{input.PadLS, btnThumbL},
	{input.PadRS, btnThumbR},
}

// absTable lists the axes with xpad's ranges; report.abs holds values in
// this order. Sticks get xpad's fuzz and flat (the page already applies its
// own small deadzone, so these only describe the pad to games).
var absTable = [...]struct {
	code                 uint16
	min, max, fuzz, flat int32
}{
	{absX, -32768, 32767, 16, 128},
	{absY, -32768, 32767, 16, 128},
	{absZ, 0, 255, 0, 0},
	{absRX, -32768, 32767, 16, 128},
	{absRY, -32768, 32767, 16, 128},
	{absRZ, 0, 255, 0, 0},
	{absHat0X, -1, 1, 0, 0},
	{absHat0Y, -1, 1, 0, 0},
}
