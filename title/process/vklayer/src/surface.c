/* X11 surfaces as VK_LAYER_STRATUS_present sees them: a window number on
 * the session's display. The layer answers every surface query itself,
 * since the driver underneath may not be able to present on Xvfb at all. */
#include <stdlib.h>
#include <string.h>

#include "layer.h"

static pthread_once_t conn_once = PTHREAD_ONCE_INIT;
static xcb_connection_t *conn;

static void connect_x(void)
{
	/* Window XIDs are server-global, so one connection of the layer's
	 * own serves every window of the game whichever library made it. */
	xcb_connection_t *c = xcb_connect(NULL, NULL);
	if (xcb_connection_has_error(c)) {
		layer_log("cannot connect to X display %s", getenv("DISPLAY") ? getenv("DISPLAY") : "(DISPLAY unset)");
		xcb_disconnect(c);
		return;
	}
	conn = c;
}

xcb_connection_t *x_conn(void)
{
	pthread_once(&conn_once, connect_x);
	return conn;
}

struct surface {
	xcb_window_t window;
};

int surface_window(VkSurfaceKHR s, xcb_window_t *w)
{
	struct surface *rec = map_get(MAP_SURFACE, (uint64_t)s);
	if (!rec)
		return 0;
	*w = rec->window;
	return 1;
}

int window_geometry(xcb_window_t w, uint32_t *width, uint32_t *height, uint8_t *depth)
{
	xcb_connection_t *c = x_conn();
	if (!c || xcb_connection_has_error(c))
		return -1;
	xcb_generic_error_t *err = NULL;
	xcb_get_geometry_reply_t *g = xcb_get_geometry_reply(c, xcb_get_geometry(c, w), &err);
	if (!g) {
		free(err);
		return -1;
	}
	*width = g->width;
	*height = g->height;
	*depth = g->depth;
	free(g);
	return 0;
}

static void record(VkSurfaceKHR s, xcb_window_t w)
{
	struct surface *rec = malloc(sizeof *rec);
	if (!rec) {
		layer_log("out of memory recording a surface");
		return;
	}
	rec->window = w;
	map_put(MAP_SURFACE, (uint64_t)s, rec);
}

static VKAPI_ATTR VkResult VKAPI_CALL CreateXcbSurfaceKHR(VkInstance instance, const VkXcbSurfaceCreateInfoKHR *ci, const VkAllocationCallbacks *alloc, VkSurfaceKHR *pSurface)
{
	struct instance *inst = map_get(MAP_INSTANCE, dkey(instance));
	if (!inst || !inst->CreateXcbSurfaceKHR)
		return VK_ERROR_EXTENSION_NOT_PRESENT;
	VkResult r = inst->CreateXcbSurfaceKHR(instance, ci, alloc, pSurface);
	if (r == VK_SUCCESS)
		record(*pSurface, ci->window);
	else
		layer_log("vkCreateXcbSurfaceKHR failed below the layer (%d)", r);
	return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL CreateXlibSurfaceKHR(VkInstance instance, const VkXlibSurfaceCreateInfoKHR *ci, const VkAllocationCallbacks *alloc, VkSurfaceKHR *pSurface)
{
	struct instance *inst = map_get(MAP_INSTANCE, dkey(instance));
	if (!inst || !inst->CreateXlibSurfaceKHR)
		return VK_ERROR_EXTENSION_NOT_PRESENT;
	VkResult r = inst->CreateXlibSurfaceKHR(instance, ci, alloc, pSurface);
	if (r == VK_SUCCESS)
		record(*pSurface, (xcb_window_t)ci->window);
	else
		layer_log("vkCreateXlibSurfaceKHR failed below the layer (%d)", r);
	return r;
}

static VKAPI_ATTR void VKAPI_CALL DestroySurfaceKHR(VkInstance instance, VkSurfaceKHR surface, const VkAllocationCallbacks *alloc)
{
	struct instance *inst = map_get(MAP_INSTANCE, dkey(instance));
	if (surface)
		free(map_del(MAP_SURFACE, (uint64_t)surface));
	if (inst && inst->DestroySurfaceKHR)
		inst->DestroySurfaceKHR(instance, surface, alloc);
}

/* Any family that can copy an image can present through the layer: the
 * copy to the host is the whole presentation engine. */
static VkBool32 family_presents(VkPhysicalDevice phys, uint32_t family)
{
	struct instance *inst = instance_of_phys(phys);
	if (!inst)
		return VK_FALSE;
	uint32_t n = 0;
	inst->GetPhysicalDeviceQueueFamilyProperties(phys, &n, NULL);
	if (family >= n)
		return VK_FALSE;
	VkQueueFamilyProperties *p = calloc(n, sizeof *p);
	if (!p)
		return VK_FALSE;
	inst->GetPhysicalDeviceQueueFamilyProperties(phys, &n, p);
	VkBool32 ok = family < n && (p[family].queueFlags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT)) ? VK_TRUE : VK_FALSE;
	free(p);
	return ok;
}

static VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceSupportKHR(VkPhysicalDevice phys, uint32_t family, VkSurfaceKHR surface, VkBool32 *pSupported)
{
	xcb_window_t w;
	if (surface_window(surface, &w)) {
		*pSupported = family_presents(phys, family);
		return VK_SUCCESS;
	}
	struct instance *inst = instance_of_phys(phys);
	if (!inst || !inst->GetPhysicalDeviceSurfaceSupportKHR)
		return VK_ERROR_SURFACE_LOST_KHR;
	return inst->GetPhysicalDeviceSurfaceSupportKHR(phys, family, surface, pSupported);
}

static VKAPI_ATTR VkBool32 VKAPI_CALL GetPhysicalDeviceXcbPresentationSupportKHR(VkPhysicalDevice phys, uint32_t family, xcb_connection_t *c, xcb_visualid_t v)
{
	(void)c;
	(void)v;
	return family_presents(phys, family);
}

static VKAPI_ATTR VkBool32 VKAPI_CALL GetPhysicalDeviceXlibPresentationSupportKHR(VkPhysicalDevice phys, uint32_t family, Display *dpy, VisualID v)
{
	(void)dpy;
	(void)v;
	return family_presents(phys, family);
}

static VkResult capabilities(xcb_window_t w, VkSurfaceCapabilitiesKHR *c)
{
	uint32_t width, height;
	uint8_t depth;
	if (window_geometry(w, &width, &height, &depth) != 0) {
		layer_log("window 0x%x is gone or the X connection is broken", w);
		return VK_ERROR_SURFACE_LOST_KHR;
	}
	memset(c, 0, sizeof *c);
	c->minImageCount = 2;
	c->maxImageCount = MAX_IMAGES;
	c->currentExtent.width = width;
	c->currentExtent.height = height;
	c->minImageExtent.width = 1;
	c->minImageExtent.height = 1;
	c->maxImageExtent.width = width > 16384 ? width : 16384;
	c->maxImageExtent.height = height > 16384 ? height : 16384;
	c->maxImageArrayLayers = 1;
	c->supportedTransforms = VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR;
	c->currentTransform = VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR;
	c->supportedCompositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
	c->supportedUsageFlags = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_STORAGE_BIT;
	return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceCapabilitiesKHR(VkPhysicalDevice phys, VkSurfaceKHR surface, VkSurfaceCapabilitiesKHR *caps)
{
	xcb_window_t w;
	if (surface_window(surface, &w))
		return capabilities(w, caps);
	struct instance *inst = instance_of_phys(phys);
	if (!inst || !inst->GetPhysicalDeviceSurfaceCapabilitiesKHR)
		return VK_ERROR_SURFACE_LOST_KHR;
	return inst->GetPhysicalDeviceSurfaceCapabilitiesKHR(phys, surface, caps);
}

static VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceCapabilities2KHR(VkPhysicalDevice phys, const VkPhysicalDeviceSurfaceInfo2KHR *info, VkSurfaceCapabilities2KHR *caps)
{
	xcb_window_t w;
	if (surface_window(info->surface, &w))
		return capabilities(w, &caps->surfaceCapabilities);
	struct instance *inst = instance_of_phys(phys);
	if (!inst || !inst->GetPhysicalDeviceSurfaceCapabilities2KHR)
		return VK_ERROR_SURFACE_LOST_KHR;
	return inst->GetPhysicalDeviceSurfaceCapabilities2KHR(phys, info, caps);
}

/* B8G8R8A8 in memory is what a 24-bit TrueColor Xvfb wants, byte for
 * byte, so presenting needs no conversion. */
static const VkSurfaceFormatKHR formats[] = {
	{VK_FORMAT_B8G8R8A8_UNORM, VK_COLOR_SPACE_SRGB_NONLINEAR_KHR},
	{VK_FORMAT_B8G8R8A8_SRGB, VK_COLOR_SPACE_SRGB_NONLINEAR_KHR},
};
#define NFORMATS (sizeof formats / sizeof formats[0])

static VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceFormatsKHR(VkPhysicalDevice phys, VkSurfaceKHR surface, uint32_t *pCount, VkSurfaceFormatKHR *pFormats)
{
	xcb_window_t w;
	if (!surface_window(surface, &w)) {
		struct instance *inst = instance_of_phys(phys);
		if (!inst || !inst->GetPhysicalDeviceSurfaceFormatsKHR)
			return VK_ERROR_SURFACE_LOST_KHR;
		return inst->GetPhysicalDeviceSurfaceFormatsKHR(phys, surface, pCount, pFormats);
	}
	if (!pFormats) {
		*pCount = NFORMATS;
		return VK_SUCCESS;
	}
	uint32_t n = *pCount < NFORMATS ? *pCount : NFORMATS;
	memcpy(pFormats, formats, n * sizeof *pFormats);
	*pCount = n;
	return n < NFORMATS ? VK_INCOMPLETE : VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceFormats2KHR(VkPhysicalDevice phys, const VkPhysicalDeviceSurfaceInfo2KHR *info, uint32_t *pCount, VkSurfaceFormat2KHR *pFormats)
{
	xcb_window_t w;
	if (!surface_window(info->surface, &w)) {
		struct instance *inst = instance_of_phys(phys);
		if (!inst || !inst->GetPhysicalDeviceSurfaceFormats2KHR)
			return VK_ERROR_SURFACE_LOST_KHR;
		return inst->GetPhysicalDeviceSurfaceFormats2KHR(phys, info, pCount, pFormats);
	}
	if (!pFormats) {
		*pCount = NFORMATS;
		return VK_SUCCESS;
	}
	uint32_t n = *pCount < NFORMATS ? *pCount : NFORMATS;
	for (uint32_t i = 0; i < n; i++)
		pFormats[i].surfaceFormat = formats[i];
	*pCount = n;
	return n < NFORMATS ? VK_INCOMPLETE : VK_SUCCESS;
}

static const VkPresentModeKHR modes[] = {VK_PRESENT_MODE_FIFO_KHR, VK_PRESENT_MODE_MAILBOX_KHR, VK_PRESENT_MODE_IMMEDIATE_KHR};
#define NMODES (sizeof modes / sizeof modes[0])

static VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfacePresentModesKHR(VkPhysicalDevice phys, VkSurfaceKHR surface, uint32_t *pCount, VkPresentModeKHR *pModes)
{
	xcb_window_t w;
	if (!surface_window(surface, &w)) {
		struct instance *inst = instance_of_phys(phys);
		if (!inst || !inst->GetPhysicalDeviceSurfacePresentModesKHR)
			return VK_ERROR_SURFACE_LOST_KHR;
		return inst->GetPhysicalDeviceSurfacePresentModesKHR(phys, surface, pCount, pModes);
	}
	if (!pModes) {
		*pCount = NMODES;
		return VK_SUCCESS;
	}
	uint32_t n = *pCount < NMODES ? *pCount : NMODES;
	memcpy(pModes, modes, n * sizeof *pModes);
	*pCount = n;
	return n < NMODES ? VK_INCOMPLETE : VK_SUCCESS;
}

PFN_vkVoidFunction surface_proc(const char *name)
{
	PROC(CreateXcbSurfaceKHR)
	PROC(CreateXlibSurfaceKHR)
	PROC(DestroySurfaceKHR)
	PROC(GetPhysicalDeviceSurfaceSupportKHR)
	PROC(GetPhysicalDeviceXcbPresentationSupportKHR)
	PROC(GetPhysicalDeviceXlibPresentationSupportKHR)
	PROC(GetPhysicalDeviceSurfaceCapabilitiesKHR)
	PROC(GetPhysicalDeviceSurfaceCapabilities2KHR)
	PROC(GetPhysicalDeviceSurfaceFormatsKHR)
	PROC(GetPhysicalDeviceSurfaceFormats2KHR)
	PROC(GetPhysicalDeviceSurfacePresentModesKHR)
	return NULL;
}
