// The C half of package x11: what must run in one cgo call (a request and
// the error it may raise are read on the same thread) and what touches
// Xlib's handler tables.
#ifndef STRATUS_X11_SHIM_H
#define STRATUS_X11_SHIM_H

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <X11/extensions/Xfixes.h>

struct stratus_pointer_query;

typedef struct {
	Display *dpy;
	Window root;
	int width, height;
	XImage *img;
	XShmSegmentInfo shm;
	int attached; // the server attached the segment
	int removed;  // IPC_RMID done
	int dead;     // the I/O error exit handler ran
	int pending;  // X error code raised by an earlier asynchronous request

	// The pointer (cursor.c). Go sets pointer; capture fills the rest.
	int fixes_event;    // XFixes' first event code, or -1: no cursor images
	int cursor_changed; // a CursorNotify arrived since the image was fetched
	int pointer;        // capture also asks where the pointer is
	int pointer_x, pointer_y;
	int pointer_in; // the pointer is on this screen (Xvfb has one)
	struct stratus_pointer_query *query;
} stratus_conn;

// Each returns 0 on success, or -1 with a message in msg.
// stratus_open authenticates with cookie (cookie_len bytes,
// MIT-MAGIC-COOKIE-1) when cookie_len > 0, else as Xlib does by default.
int stratus_open(const char *name, const char *cookie, int cookie_len, stratus_conn **out, char *msg, int n);
int stratus_capture(stratus_conn *c, char *msg, int n);
int stratus_sync(stratus_conn *c, char *msg, int n);

// Input requests are buffered; they return 0, -1 for an unknown keysym,
// or -2 when the connection is lost.
int stratus_key(stratus_conn *c, unsigned long keysym, int down);
int stratus_motion(stratus_conn *c, int x, int y, int relative);
int stratus_button(stratus_conn *c, unsigned int button, int down);
int stratus_flush(stratus_conn *c);

void stratus_close(stratus_conn *c);

// stratus_take returns and clears the X error code that this thread's
// handler recorded last (0: none).
int stratus_take(void);

// cursor.c
int stratus_cursor_init(stratus_conn *c);
void stratus_pointer_send(stratus_conn *c); // before the capture's request
void stratus_pointer_recv(stratus_conn *c); // after its reply, always
int stratus_cursor_event(stratus_conn *c, const XEvent *ev);
// NULL when the image could not be had; free the result with XFree.
XFixesCursorImage *stratus_cursor_image(stratus_conn *c);

#endif
