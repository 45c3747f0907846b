//go:build cgo

// The pointer for captured frames. The server draws its cursor apart from
// the framebuffer (Xvfb's software cursor is lifted off before GetImage),
// so a capture never shows it; XFixes hands out the cursor's image, and
// XQueryPointer says where it is.

#include "shim.h"

#include <stdint.h>
#include <stdlib.h>
#include <X11/Xlibint.h>

// The pointer's position comes with the capture: the QueryPointer request
// goes out just before XShmGetImage's, and its reply, which the server
// sends first, is taken off the connection by an async handler while Xlib
// waits for the image (Xlib's own way, Xlibint.h, of asking two things in
// one round trip). A separate XQueryPointer would be a second round trip,
// which on a server busy with the game's drawing waits its turn again.
// It is the server's position, not the last one injected: the game may warp
// the pointer itself (games that grab the mouse recentre it).
struct stratus_pointer_query {
	_XAsyncHandler async;
	uint64_t seq; // the request's sequence number
	int done;     // 1: the reply came; -1: an error did
	int same, x, y;
};

// note_pending keeps an error that a round trip read but that an earlier
// asynchronous request (input) raised, for the next Sync to report.
static void note_pending(stratus_conn *c) {
	int code = stratus_take();
	if (code != 0)
		c->pending = code;
}

// stratus_cursor_init asks for XFixes 2 (cursor images and CursorNotify)
// and selects CursorNotify on the root window: the server then sends one
// event each time the displayed cursor changes, so the image is fetched
// once per change, not once per frame. Without XFixes fixes_event stays -1,
// which is no failure; -1 is only for no memory.
int stratus_cursor_init(stratus_conn *c) {
	c->query = calloc(1, sizeof *c->query);
	if (c->query == NULL)
		return -1;
	int evbase, errbase;
	if (!XFixesQueryExtension(c->dpy, &evbase, &errbase))
		return 0;
	int major = 0, minor = 0;
	if (!XFixesQueryVersion(c->dpy, &major, &minor) || major < 2)
		return 0;
	note_pending(c);
	XFixesSelectCursorInput(c->dpy, c->root, XFixesDisplayCursorNotifyMask);
	XSync(c->dpy, False);
	if (stratus_take() != 0 || c->dead)
		return 0;
	c->fixes_event = evbase;
	c->cursor_changed = 1; // nothing fetched yet
	return 0;
}

// stratus_cursor_event notes a CursorNotify read off the connection; it
// returns 1 if ev was one.
int stratus_cursor_event(stratus_conn *c, const XEvent *ev) {
	if (c->fixes_event < 0 || ev->type != c->fixes_event + XFixesCursorNotify)
		return 0;
	c->cursor_changed = 1;
	return 1;
}

static Bool on_pointer_reply(Display *dpy, xReply *rep, char *buf, int len, XPointer data) {
	struct stratus_pointer_query *q = (struct stratus_pointer_query *)data;
	if (X_DPY_GET_LAST_REQUEST_READ(dpy) != q->seq)
		return False;
	if (rep->generic.type == X_Error) {
		q->done = -1;
		return False; // to the error handler, as any error
	}
	xQueryPointerReply buffer;
	xQueryPointerReply *r = (xQueryPointerReply *)_XGetAsyncReply(
		dpy, (char *)&buffer, rep, buf, len, (SIZEOF(xQueryPointerReply) - SIZEOF(xReply)) >> 2, True);
	q->same = r->sameScreen;
	q->x = cvtINT16toInt(r->rootX);
	q->y = cvtINT16toInt(r->rootY);
	q->done = 1;
	return True;
}

void stratus_pointer_send(stratus_conn *c) {
	struct stratus_pointer_query *q = c->query;
	q->done = 0;
	if (c->dead)
		return;
	Display *dpy = c->dpy;
	xResourceReq *req;
	LockDisplay(dpy);
	GetResReq(QueryPointer, c->root, req);
	if (req != NULL) {
		q->seq = X_DPY_GET_REQUEST(dpy);
		q->async.next = dpy->async_handlers;
		q->async.handler = on_pointer_reply;
		q->async.data = (XPointer)q;
		dpy->async_handlers = &q->async;
	}
	UnlockDisplay(dpy);
}

void stratus_pointer_recv(stratus_conn *c) {
	struct stratus_pointer_query *q = c->query;
	Display *dpy = c->dpy;
	LockDisplay(dpy);
	DeqAsyncHandler(dpy, &q->async);
	UnlockDisplay(dpy);
	c->pointer_in = q->done == 1 && q->same && !c->dead;
	c->pointer_x = q->x;
	c->pointer_y = q->y;
}

// stratus_cursor_image fetches the displayed cursor: premultiplied ARGB,
// one pixel in each unsigned long (64 bits on amd64, the upper half 0).
XFixesCursorImage *stratus_cursor_image(stratus_conn *c) {
	if (c->dead || c->fixes_event < 0)
		return NULL;
	note_pending(c);
	XFixesCursorImage *img = XFixesGetCursorImage(c->dpy);
	if (img == NULL)
		stratus_take(); // this request's own error
	else
		note_pending(c);
	return img;
}
