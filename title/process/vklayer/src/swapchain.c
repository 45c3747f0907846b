/* Swapchains of VK_LAYER_STRATUS_present. Images are ordinary device
 * images; presenting copies one to a mapped host buffer (the only copy off
 * the GPU) and writes it into the X window with xcb_put_image, which on
 * Xvfb lands in the framebuffer the edge captures. */
#include <stdlib.h>
#include <string.h>

#include "swapchain.h"


struct swapchain *swapchain_lookup(VkSwapchainKHR h) { return map_get(MAP_SWAPCHAIN, (uint64_t)(uintptr_t)h); }

static int memory_type(struct device *d, uint32_t bits, VkMemoryPropertyFlags want)
{
	for (uint32_t i = 0; i < d->mem.memoryTypeCount; i++)
		if ((bits & (1u << i)) && (d->mem.memoryTypes[i].propertyFlags & want) == want)
			return (int)i;
	return -1;
}

static void destroy(struct swapchain *sc)
{
	struct device *d = sc->d;
	VkDevice dev = d->handle;
	for (uint32_t i = 0; i < MAX_IMAGES; i++) {
		if (sc->fence[i]) {
			/* A copy may still be reading the image. */
			d->WaitForFences(dev, 1, &sc->fence[i], VK_TRUE, UINT64_MAX);
			d->DestroyFence(dev, sc->fence[i], NULL);
		}
		if (sc->image[i])
			d->DestroyImage(dev, sc->image[i], NULL);
		if (sc->image_mem[i])
			d->FreeMemory(dev, sc->image_mem[i], NULL);
		if (sc->buf[i])
			d->DestroyBuffer(dev, sc->buf[i], NULL);
		if (sc->buf_mem[i])
			d->FreeMemory(dev, sc->buf_mem[i], NULL); /* unmaps too */
	}
	if (sc->pool)
		d->DestroyCommandPool(dev, sc->pool, NULL); /* frees sc->cmd */
	xcb_connection_t *c = x_conn();
	if (sc->gc && c) {
		xcb_free_gc(c, sc->gc);
		xcb_flush(c);
	}
	pthread_mutex_destroy(&sc->mu);
	free(sc->scratch);
	free(sc);
}

static VkResult make_image(struct swapchain *sc, const VkSwapchainCreateInfoKHR *ci, uint32_t i)
{
	struct device *d = sc->d;
	VkImageCreateInfo ic = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
		.flags = (ci->flags & VK_SWAPCHAIN_CREATE_MUTABLE_FORMAT_BIT_KHR) ? VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT : 0,
		.imageType = VK_IMAGE_TYPE_2D,
		.format = ci->imageFormat,
		.extent = {ci->imageExtent.width, ci->imageExtent.height, 1},
		.mipLevels = 1,
		.arrayLayers = ci->imageArrayLayers ? ci->imageArrayLayers : 1,
		.samples = VK_SAMPLE_COUNT_1_BIT,
		.tiling = VK_IMAGE_TILING_OPTIMAL,
		.usage = ci->imageUsage | VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
		.sharingMode = ci->imageSharingMode,
		.queueFamilyIndexCount = ci->imageSharingMode == VK_SHARING_MODE_CONCURRENT ? ci->queueFamilyIndexCount : 0,
		.pQueueFamilyIndices = ci->imageSharingMode == VK_SHARING_MODE_CONCURRENT ? ci->pQueueFamilyIndices : NULL,
		.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
	};
	VkResult r = d->CreateImage(d->handle, &ic, NULL, &sc->image[i]);
	if (r != VK_SUCCESS) {
		layer_log("vkCreateSwapchainKHR: vkCreateImage %ux%u format %d failed (%d)", ic.extent.width, ic.extent.height, ic.format, r);
		return r;
	}
	VkMemoryRequirements req;
	d->GetImageMemoryRequirements(d->handle, sc->image[i], &req);
	int t = memory_type(d, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
	if (t < 0)
		t = memory_type(d, req.memoryTypeBits, 0);
	VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .allocationSize = req.size, .memoryTypeIndex = (uint32_t)t};
	if (t < 0 || (r = d->AllocateMemory(d->handle, &ai, NULL, &sc->image_mem[i])) != VK_SUCCESS ||
	    (r = d->BindImageMemory(d->handle, sc->image[i], sc->image_mem[i], 0)) != VK_SUCCESS) {
		layer_log("vkCreateSwapchainKHR: no memory for a swapchain image (%d)", r);
		return r != VK_SUCCESS ? r : VK_ERROR_OUT_OF_DEVICE_MEMORY;
	}

	VkBufferCreateInfo bc = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = sc->buf_size, .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT, .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
	if ((r = d->CreateBuffer(d->handle, &bc, NULL, &sc->buf[i])) != VK_SUCCESS) {
		layer_log("vkCreateSwapchainKHR: vkCreateBuffer of %llu bytes failed (%d)", (unsigned long long)sc->buf_size, r);
		return r;
	}
	d->GetBufferMemoryRequirements(d->handle, sc->buf[i], &req);
	/* Cached memory makes the CPU's read of each frame fast; coherent
	 * spares an invalidate per frame. */
	const VkMemoryPropertyFlags V = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, C = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, K = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
	const VkMemoryPropertyFlags prefs[] = {V | C | K, V | C, V | K, V};
	t = -1;
	for (size_t p = 0; p < sizeof prefs / sizeof prefs[0] && t < 0; p++)
		t = memory_type(d, req.memoryTypeBits, prefs[p]);
	if (t < 0) {
		layer_log("vkCreateSwapchainKHR: no host-visible memory for the present buffer");
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	}
	sc->coherent = (d->mem.memoryTypes[t].propertyFlags & C) != 0;
	ai.allocationSize = req.size;
	ai.memoryTypeIndex = (uint32_t)t;
	void *p = NULL;
	if ((r = d->AllocateMemory(d->handle, &ai, NULL, &sc->buf_mem[i])) != VK_SUCCESS ||
	    (r = d->BindBufferMemory(d->handle, sc->buf[i], sc->buf_mem[i], 0)) != VK_SUCCESS ||
	    (r = d->MapMemory(d->handle, sc->buf_mem[i], 0, VK_WHOLE_SIZE, 0, &p)) != VK_SUCCESS) {
		layer_log("vkCreateSwapchainKHR: cannot allocate or map the present buffer (%d)", r);
		return r;
	}
	sc->pix[i] = p;

	VkFenceCreateInfo fc = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, .flags = VK_FENCE_CREATE_SIGNALED_BIT};
	if ((r = d->CreateFence(d->handle, &fc, NULL, &sc->fence[i])) != VK_SUCCESS) {
		layer_log("vkCreateSwapchainKHR: vkCreateFence failed (%d)", r);
		return r;
	}
	return VK_SUCCESS;
}

static int64_t frame_period(void)
{
	const char *s = getenv("STRATUS_VK_FPS");
	long fps = 60;
	if (s && *s) {
		char *end;
		long v = strtol(s, &end, 10);
		if (*end || v <= 0 || v > 1000)
			layer_log("STRATUS_VK_FPS=%s is not a frame rate (1-1000): pacing at 60", s);
		else
			fps = v;
	}
	return 1000000000LL / fps;
}

static VKAPI_ATTR VkResult VKAPI_CALL CreateSwapchainKHR(VkDevice device, const VkSwapchainCreateInfoKHR *ci, const VkAllocationCallbacks *alloc, VkSwapchainKHR *pSwapchain)
{
	(void)alloc;
	struct device *d = device_of(device);
	if (!d)
		return VK_ERROR_INITIALIZATION_FAILED;
	struct swapchain *old = ci->oldSwapchain ? swapchain_lookup(ci->oldSwapchain) : NULL;
	if (old)
		old->retired = 1; /* it may still be presented to once, never acquired from */
	xcb_window_t w;
	if (!surface_window(ci->surface, &w)) {
		layer_log("vkCreateSwapchainKHR: the surface is not an X11 window the layer knows");
		return VK_ERROR_SURFACE_LOST_KHR;
	}
	int swap_rb;
	switch (ci->imageFormat) {
	case VK_FORMAT_B8G8R8A8_UNORM:
	case VK_FORMAT_B8G8R8A8_SRGB:
		swap_rb = 0;
		break;
	case VK_FORMAT_R8G8B8A8_UNORM:
	case VK_FORMAT_R8G8B8A8_SRGB:
		swap_rb = 1;
		break;
	default:
		layer_log("vkCreateSwapchainKHR: format %d is not one the layer offers", ci->imageFormat);
		return VK_ERROR_FORMAT_NOT_SUPPORTED;
	}
	uint32_t gw, gh;
	uint8_t depth;
	if (window_geometry(w, &gw, &gh, &depth) != 0) {
		layer_log("vkCreateSwapchainKHR: window 0x%x is gone or the X connection is broken", w);
		return VK_ERROR_SURFACE_LOST_KHR;
	}
	if (depth != 24 && depth != 32) {
		layer_log("vkCreateSwapchainKHR: window 0x%x has depth %u; the layer writes 24- and 32-bit windows only", w, depth);
		return VK_ERROR_INITIALIZATION_FAILED;
	}
	uint32_t family;
	VkQueue q = default_queue(d, &family);
	if (!q) {
		layer_log("vkCreateSwapchainKHR: the device has no queue the layer could copy on");
		return VK_ERROR_INITIALIZATION_FAILED;
	}

	struct swapchain *sc = calloc(1, sizeof *sc);
	if (!sc)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	sc->d = d;
	sc->window = w;
	sc->depth = depth;
	sc->extent = ci->imageExtent;
	sc->mode = ci->presentMode;
	sc->swap_rb = swap_rb;
	sc->family = family;
	sc->period_ns = frame_period();
	pthread_mutex_init(&sc->mu, NULL);
	sc->n = ci->minImageCount < 2 ? 2 : ci->minImageCount;
	if (sc->n > MAX_IMAGES)
		sc->n = MAX_IMAGES;
	sc->buf_size = (VkDeviceSize)sc->extent.width * sc->extent.height * 4;

	VkResult r = VK_SUCCESS;
	for (uint32_t i = 0; i < sc->n && r == VK_SUCCESS; i++)
		r = make_image(sc, ci, i);
	if (r == VK_SUCCESS) {
		VkCommandPoolCreateInfo pc = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO, .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT, .queueFamilyIndex = family};
		r = d->CreateCommandPool(device, &pc, NULL, &sc->pool);
		if (r == VK_SUCCESS) {
			VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, .commandPool = sc->pool, .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = sc->n};
			r = d->AllocateCommandBuffers(device, &ai, sc->cmd);
		}
		/* Command buffers are dispatchable: the loader's data must be
		 * in them before they reach the driver. */
		for (uint32_t i = 0; r == VK_SUCCESS && d->set_loader_data && i < sc->n; i++)
			r = d->set_loader_data(device, sc->cmd[i]);
		if (r != VK_SUCCESS)
			layer_log("vkCreateSwapchainKHR: cannot make the present command buffers (%d)", r);
	}
	xcb_connection_t *c = x_conn();
	if (r == VK_SUCCESS) {
		sc->gc = xcb_generate_id(c);
		xcb_generic_error_t *e = xcb_request_check(c, xcb_create_gc_checked(c, sc->gc, w, 0, NULL));
		if (e) {
			layer_log("vkCreateSwapchainKHR: cannot create a GC on window 0x%x (X error %u)", w, e->error_code);
			free(e);
			sc->gc = 0;
			r = VK_ERROR_SURFACE_LOST_KHR;
		}
	}
	if (r == VK_SUCCESS && swap_rb && !(sc->scratch = malloc(sc->buf_size)))
		r = VK_ERROR_OUT_OF_HOST_MEMORY;
	if (r != VK_SUCCESS) {
		destroy(sc);
		return r;
	}
	*pSwapchain = (VkSwapchainKHR)(uintptr_t)sc;
	map_put(MAP_SWAPCHAIN, (uint64_t)(uintptr_t)sc, sc);
	return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL DestroySwapchainKHR(VkDevice device, VkSwapchainKHR swapchain, const VkAllocationCallbacks *alloc)
{
	(void)device;
	(void)alloc;
	if (!swapchain)
		return;
	struct swapchain *sc = map_del(MAP_SWAPCHAIN, (uint64_t)(uintptr_t)swapchain);
	if (sc)
		destroy(sc);
}

static VKAPI_ATTR VkResult VKAPI_CALL GetSwapchainImagesKHR(VkDevice device, VkSwapchainKHR swapchain, uint32_t *pCount, VkImage *pImages)
{
	(void)device;
	struct swapchain *sc = swapchain_lookup(swapchain);
	if (!sc)
		return VK_ERROR_SURFACE_LOST_KHR;
	if (!pImages) {
		*pCount = sc->n;
		return VK_SUCCESS;
	}
	uint32_t n = *pCount < sc->n ? *pCount : sc->n;
	memcpy(pImages, sc->image, n * sizeof *pImages);
	*pCount = n;
	return n < sc->n ? VK_INCOMPLETE : VK_SUCCESS;
}

static VkResult acquire(struct swapchain *sc, uint64_t timeout, VkSemaphore sem, VkFence fence, uint32_t *pIndex)
{
	if (sc->retired)
		return VK_ERROR_OUT_OF_DATE_KHR;
	struct device *d = sc->d;
	pthread_mutex_lock(&sc->mu);
	uint32_t i = sc->next;
	/* The fence says the image's last copy to the host is done; present
	 * waits for it already, so this only blocks on a lost device. */
	VkResult r = d->WaitForFences(d->handle, 1, &sc->fence[i], VK_TRUE, timeout);
	if (r == VK_SUCCESS)
		sc->next = (i + 1) % sc->n;
	pthread_mutex_unlock(&sc->mu);
	if (r == VK_TIMEOUT)
		return timeout == 0 ? VK_NOT_READY : VK_TIMEOUT;
	if (r != VK_SUCCESS) {
		layer_log("vkAcquireNextImageKHR: waiting for image %u failed (%d)", i, r);
		return r;
	}
	if (sem || fence) {
		uint32_t family;
		VkQueue q = default_queue(d, &family);
		VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .signalSemaphoreCount = sem ? 1 : 0, .pSignalSemaphores = &sem};
		pthread_mutex_lock(&d->submit_mu);
		r = d->QueueSubmit(q, 1, &si, fence);
		pthread_mutex_unlock(&d->submit_mu);
		if (r != VK_SUCCESS) {
			layer_log("vkAcquireNextImageKHR: signalling the game's semaphore/fence failed (%d)", r);
			return r;
		}
	}
	*pIndex = i;
	return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL AcquireNextImageKHR(VkDevice device, VkSwapchainKHR swapchain, uint64_t timeout, VkSemaphore sem, VkFence fence, uint32_t *pIndex)
{
	(void)device;
	struct swapchain *sc = swapchain_lookup(swapchain);
	if (!sc)
		return VK_ERROR_SURFACE_LOST_KHR;
	return acquire(sc, timeout, sem, fence, pIndex);
}

static VKAPI_ATTR VkResult VKAPI_CALL AcquireNextImage2KHR(VkDevice device, const VkAcquireNextImageInfoKHR *info, uint32_t *pIndex)
{
	(void)device;
	struct swapchain *sc = swapchain_lookup(info->swapchain);
	if (!sc)
		return VK_ERROR_SURFACE_LOST_KHR;
	return acquire(sc, info->timeout, info->semaphore, info->fence, pIndex);
}

PFN_vkVoidFunction swapchain_proc(const char *name)
{
	PROC(CreateSwapchainKHR)
	PROC(DestroySwapchainKHR)
	PROC(GetSwapchainImagesKHR)
	PROC(AcquireNextImageKHR)
	PROC(AcquireNextImage2KHR)
	return present_proc(name);
}
