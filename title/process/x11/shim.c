//go:build cgo

#include "shim.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <X11/extensions/XTest.h>

// Xlib calls the error handler on the thread that reads the error off the
// connection, which is the thread running one of the functions below (a cgo
// call stays on one thread), so a thread-local hands the code back to it.
static __thread int last_error;

static int on_error(Display *dpy, XErrorEvent *ev) {
	(void)dpy;
	last_error = ev->error_code;
	return 0;
}

// Xlib's default prints "XIO: fatal IO error"; the exit handler decides.
static int on_io_error(Display *dpy) {
	(void)dpy;
	return 0;
}

// Returning instead of calling exit leaves the Display marked broken: Xlib
// then fails every request on it quietly, and XCloseDisplay still frees it.
static void on_io_exit(Display *dpy, void *data) {
	(void)dpy;
	((stratus_conn *)data)->dead = 1;
}

static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static void install_handlers(void) {
	XSetErrorHandler(on_error);
	XSetIOErrorHandler(on_io_error);
}

// take returns and clears this thread's recorded error.
static int take(void) {
	int e = last_error;
	last_error = 0;
	return e;
}

int stratus_take(void) { return take(); }

static void describe(stratus_conn *c, const char *what, int code, char *msg, int n) {
	char text[128] = "";
	if (code != 0 && !c->dead)
		XGetErrorText(c->dpy, code, text, sizeof text);
	if (c->dead)
		snprintf(msg, n, "%s: connection lost", what);
	else if (code != 0)
		snprintf(msg, n, "%s: X error %d (%s)", what, code, text);
	else
		snprintf(msg, n, "%s failed", what);
}

// drain reads events nobody asked for but every client gets (MappingNotify),
// so Xlib's queue stays empty and its keymap cache follows the game's
// changes.
static void drain(stratus_conn *c) {
	while (!c->dead && XPending(c->dpy) > 0) {
		XEvent ev;
		XNextEvent(c->dpy, &ev);
		if (ev.type == MappingNotify)
			XRefreshKeyboardMapping(&ev.xmapping);
		else
			stratus_cursor_event(c, &ev);
	}
}

// auth_mu serializes the connection set-up below. Xlib keeps the
// authorization that XSetAuthorization sets in process-wide state, and one
// edge opens the displays of many sessions, each with its own cookie: the
// cookie must be set, used by XOpenDisplay and cleared again before another
// thread can open a display. Reading XAUTHORITY instead would mean changing
// the edge's environment, which is just as process-wide and less safe.
static pthread_mutex_t auth_mu = PTHREAD_MUTEX_INITIALIZER;

// auth_name is the only authorization protocol a session's Xvfb is given.
static char auth_name[] = "MIT-MAGIC-COOKIE-1";

// open_display opens name with cookie (len bytes) as its
// MIT-MAGIC-COOKIE-1, or, when len is 0, as Xlib would by default.
static Display *open_display(const char *name, const char *cookie, int len) {
	pthread_mutex_lock(&auth_mu);
	if (len > 0)
		XSetAuthorization(auth_name, (int)strlen(auth_name), (char *)cookie, len);
	else
		XSetAuthorization(NULL, 0, NULL, 0);
	Display *dpy = XOpenDisplay(name);
	XSetAuthorization(NULL, 0, NULL, 0); // the next open must not inherit it
	pthread_mutex_unlock(&auth_mu);
	return dpy;
}

int stratus_open(const char *name, const char *cookie, int cookie_len, stratus_conn **out, char *msg, int n) {
	pthread_once(&handlers_once, install_handlers);
	stratus_conn *c = calloc(1, sizeof *c);
	if (c == NULL) {
		snprintf(msg, n, "out of memory");
		return -1;
	}
	c->shm.shmid = -1;
	c->shm.shmaddr = (char *)-1;
	c->fixes_event = -1;
	c->dpy = open_display(name, cookie, cookie_len);
	if (c->dpy == NULL) {
		snprintf(msg, n, "cannot open display %s%s", name,
			cookie_len > 0 ? " (with its cookie)" : "");
		free(c);
		return -1;
	}
	XSetIOErrorExitHandler(c->dpy, on_io_exit, c);
	take();

	int major, minor, evbase, errbase;
	Bool pixmaps;
	if (!XShmQueryVersion(c->dpy, &major, &minor, &pixmaps)) {
		snprintf(msg, n, "display %s has no MIT-SHM extension", name);
		goto fail;
	}
	if (!XTestQueryExtension(c->dpy, &evbase, &errbase, &major, &minor)) {
		snprintf(msg, n, "display %s has no XTEST extension", name);
		goto fail;
	}
	int scr = DefaultScreen(c->dpy);
	c->root = RootWindow(c->dpy, scr);
	c->width = DisplayWidth(c->dpy, scr);
	c->height = DisplayHeight(c->dpy, scr);
	int depth = DefaultDepth(c->dpy, scr);
	c->img = XShmCreateImage(c->dpy, DefaultVisual(c->dpy, scr), depth, ZPixmap, NULL, &c->shm,
				 c->width, c->height);
	if (c->img == NULL) {
		snprintf(msg, n, "XShmCreateImage %dx%d depth %d failed", c->width, c->height, depth);
		goto fail;
	}
	// The frame is handed out as BGRA: 32 bits a pixel, blue in the low
	// byte of a little-endian word. Xvfb -screen WxHx24 gives exactly that.
	if (c->img->bits_per_pixel != 32 || c->img->byte_order != LSBFirst || c->img->red_mask != 0xff0000 ||
	    c->img->green_mask != 0xff00 || c->img->blue_mask != 0xff) {
		snprintf(msg, n,
			 "display %s: depth %d, %d bits per pixel, masks %#lx/%#lx/%#lx: capture needs 32-bit "
			 "little-endian BGRX pixels (start the server with -screen 0 WxHx24)",
			 name, depth, c->img->bits_per_pixel, c->img->red_mask, c->img->green_mask,
			 c->img->blue_mask);
		goto fail;
	}
	size_t size = (size_t)c->img->bytes_per_line * (size_t)c->img->height;
	c->shm.shmid = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
	if (c->shm.shmid < 0) {
		snprintf(msg, n, "shmget %zu bytes: %s", size, strerror(errno));
		goto fail;
	}
	c->shm.shmaddr = c->img->data = shmat(c->shm.shmid, NULL, 0);
	if (c->shm.shmaddr == (char *)-1) {
		snprintf(msg, n, "shmat: %s", strerror(errno));
		c->img->data = NULL;
		goto fail;
	}
	c->shm.readOnly = False;
	Status st = XShmAttach(c->dpy, &c->shm);
	XSync(c->dpy, False);
	int code = take();
	// Both sides are attached now (or the server failed to): mark the
	// segment removed at once, so the kernel frees it when the last
	// attachment goes, even if this process dies without Close.
	shmctl(c->shm.shmid, IPC_RMID, NULL);
	c->removed = 1;
	if (!st || code != 0 || c->dead) {
		describe(c, "XShmAttach", code, msg, n);
		goto fail;
	}
	c->attached = 1;
	// Without XFixes the frames only lack the pointer: no failure.
	if (stratus_cursor_init(c) != 0) {
		snprintf(msg, n, "out of memory");
		goto fail;
	}
	if (c->dead) {
		describe(c, "XFixes setup", 0, msg, n);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	stratus_close(c);
	return -1;
}

int stratus_capture(stratus_conn *c, char *msg, int n) {
	if (c->dead) {
		describe(c, "capture", 0, msg, n);
		return -1;
	}
	int before = take(); // raised by earlier input requests, not by this one
	if (before != 0)
		c->pending = before;
	if (c->pointer)
		stratus_pointer_send(c);
	Bool ok = XShmGetImage(c->dpy, c->root, c->img, 0, 0, AllPlanes);
	int code = take();
	if (c->pointer)
		stratus_pointer_recv(c);
	if (!ok || c->dead) {
		describe(c, "XShmGetImage", code, msg, n);
		return -1;
	}
	if (code != 0)
		c->pending = code;
	drain(c);
	return 0;
}

int stratus_sync(stratus_conn *c, char *msg, int n) {
	if (!c->dead) {
		take();
		XSync(c->dpy, False);
		int code = take();
		if (code != 0)
			c->pending = code;
	}
	if (c->dead) {
		describe(c, "sync", 0, msg, n);
		return -1;
	}
	int code = c->pending;
	c->pending = 0;
	if (code != 0) {
		describe(c, "earlier request", code, msg, n);
		return -1;
	}
	return 0;
}

// note moves an error read during a buffered request into pending.
static int note(stratus_conn *c) {
	int code = take();
	if (code != 0)
		c->pending = code;
	return c->dead ? -2 : 0;
}

int stratus_key(stratus_conn *c, unsigned long keysym, int down) {
	if (c->dead)
		return -2;
	KeyCode kc = XKeysymToKeycode(c->dpy, (KeySym)keysym);
	if (kc == 0)
		return note(c) == -2 ? -2 : -1;
	XTestFakeKeyEvent(c->dpy, kc, down ? True : False, CurrentTime);
	return note(c);
}

int stratus_motion(stratus_conn *c, int x, int y, int relative) {
	if (c->dead)
		return -2;
	if (relative)
		XTestFakeRelativeMotionEvent(c->dpy, x, y, CurrentTime);
	else
		XTestFakeMotionEvent(c->dpy, -1, x, y, CurrentTime); // -1: the pointer's screen
	return note(c);
}

int stratus_button(stratus_conn *c, unsigned int button, int down) {
	if (c->dead)
		return -2;
	XTestFakeButtonEvent(c->dpy, button, down ? True : False, CurrentTime);
	return note(c);
}

int stratus_flush(stratus_conn *c) {
	if (c->dead)
		return -2;
	XFlush(c->dpy);
	return note(c);
}

void stratus_close(stratus_conn *c) {
	if (c->attached && !c->dead) {
		XShmDetach(c->dpy, &c->shm);
		XSync(c->dpy, False);
		take();
	}
	if (c->shm.shmaddr != (char *)-1)
		shmdt(c->shm.shmaddr);
	if (c->shm.shmid >= 0 && !c->removed)
		shmctl(c->shm.shmid, IPC_RMID, NULL);
	if (c->img != NULL) {
		// The pixels are the segment, not malloc'd memory: keep
		// XDestroyImage from freeing them.
		c->img->data = NULL;
		c->img->obdata = NULL;
		XDestroyImage(c->img);
	}
	XCloseDisplay(c->dpy);
	free(c->query);
	free(c);
}
