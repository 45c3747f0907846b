// Package panics turns a recovered panic into an error that carries the
// panicking goroutine's stack. A panic in one player's session (a title, an
// encoder, a callback from the player's connection) must end that session,
// logged with enough to find the bug, and never the process that serves
// every other player on the node.
package panics

import (
	"fmt"
	"log/slog"
	"runtime/debug"
)

// Error is a recovered panic.
type Error struct {
	// Value is what was passed to panic.
	Value any
	// Stack is the panicking goroutine's stack, taken while recovering.
	Stack []byte
}

func (e *Error) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap exposes an error passed to panic, so that errors.Is sees through.
func (e *Error) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// From returns the panic p as an *Error with the current stack, or nil when
// p is nil (nothing panicked). Call it as From(recover()) directly in the
// deferred function: recover only stops a panic there.
func From(p any) *Error {
	if p == nil {
		return nil
	}
	return &Error{Value: p, Stack: debug.Stack()}
}

// Log writes e at error level with its stack; args name what panicked (the
// session, the peer).
func (e *Error) Log(log *slog.Logger, msg string, args ...any) {
	log.Error(msg, append(args, "panic", fmt.Sprint(e.Value), "stack", string(e.Stack))...)
}
