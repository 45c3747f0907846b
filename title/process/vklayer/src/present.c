/* vkQueuePresentKHR of VK_LAYER_STRATUS_present: copy the image to the
 * host, pace FIFO to STRATUS_VK_FPS (Xvfb has no vertical blank to wait
 * for) and write the pixels into the window. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swapchain.h"

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleeps to an absolute deadline one period after the last, so that
 * rounding never adds up; a game that fell more than a frame behind is
 * re-anchored to now rather than let loose to catch up in a burst. */
static void pace(struct swapchain *sc)
{
	if (sc->mode != VK_PRESENT_MODE_FIFO_KHR && sc->mode != VK_PRESENT_MODE_FIFO_RELAXED_KHR)
		return;
	int64_t now = now_ns();
	int64_t next = sc->deadline_ns ? sc->deadline_ns + sc->period_ns : now;
	if (next + sc->period_ns < now)
		next = now;
	struct timespec ts = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	sc->deadline_ns = next;
}

static VkResult copy_to_host(struct swapchain *sc, VkQueue queue, uint32_t i, uint32_t nwait, const VkSemaphore *wait)
{
	struct device *d = sc->d;
	VkCommandBuffer cb = sc->cmd[i];
	VkResult r;
	if ((r = d->ResetCommandBuffer(cb, 0)) != VK_SUCCESS)
		return r;
	VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO, .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
	if ((r = d->BeginCommandBuffer(cb, &bi)) != VK_SUCCESS)
		return r;
	VkImageSubresourceRange range = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
	VkImageMemoryBarrier to_src = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
		.oldLayout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR,
		.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.image = sc->image[i],
		.subresourceRange = range,
	};
	d->CmdPipelineBarrier(cb, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0, NULL, 1, &to_src);
	VkBufferImageCopy region = {
		.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
		.imageExtent = {sc->extent.width, sc->extent.height, 1},
	};
	d->CmdCopyImageToBuffer(cb, sc->image[i], VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, sc->buf[i], 1, &region);
	VkImageMemoryBarrier back = to_src;
	back.srcAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
	back.dstAccessMask = 0;
	back.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
	back.newLayout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
	VkBufferMemoryBarrier host = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.buffer = sc->buf[i],
		.size = VK_WHOLE_SIZE,
	};
	d->CmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT | VK_PIPELINE_STAGE_HOST_BIT, 0, 0, NULL, 1, &host, 1, &back);
	if ((r = d->EndCommandBuffer(cb)) != VK_SUCCESS)
		return r;

	VkPipelineStageFlags stages[16];
	VkPipelineStageFlags *st = nwait <= 16 ? stages : malloc(nwait * sizeof *st);
	if (!st)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	for (uint32_t k = 0; k < nwait; k++)
		st[k] = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.waitSemaphoreCount = nwait,
		.pWaitSemaphores = wait,
		.pWaitDstStageMask = st,
		.commandBufferCount = 1,
		.pCommandBuffers = &cb,
	};
	pthread_mutex_lock(&d->submit_mu);
	r = d->ResetFences(d->handle, 1, &sc->fence[i]);
	if (r == VK_SUCCESS)
		r = d->QueueSubmit(queue, 1, &si, sc->fence[i]);
	pthread_mutex_unlock(&d->submit_mu);
	if (st != stages)
		free(st);
	if (r != VK_SUCCESS)
		return r;
	if ((r = d->WaitForFences(d->handle, 1, &sc->fence[i], VK_TRUE, UINT64_MAX)) != VK_SUCCESS)
		return r;
	if (!sc->coherent) {
		VkMappedMemoryRange mr = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, .memory = sc->buf_mem[i], .size = VK_WHOLE_SIZE};
		r = d->InvalidateMappedMemoryRanges(d->handle, 1, &mr);
	}
	return r;
}

/* Writes one image into the window in strips that each fit one request:
 * Xvfb takes 16 MiB a request with BIG-REQUESTS, 256 KiB without. */
static VkResult put(struct swapchain *sc, uint32_t i)
{
	xcb_connection_t *c = x_conn();
	if (!c || xcb_connection_has_error(c))
		return VK_ERROR_SURFACE_LOST_KHR;
	uint32_t w = sc->extent.width, h = sc->extent.height, stride = w * 4;
	uint64_t max_bytes = (uint64_t)xcb_get_maximum_request_length(c) * 4;
	const uint64_t header = 32; /* PutImage's 24 bytes, 28 with BIG-REQUESTS */
	uint32_t rows = max_bytes > header ? (uint32_t)((max_bytes - header) / stride) : 0;
	if (rows == 0) {
		layer_log("vkQueuePresentKHR: a %u-pixel row does not fit one X request", w);
		return VK_ERROR_SURFACE_LOST_KHR;
	}
	for (uint32_t y = 0; y < h; y += rows) {
		uint32_t n = h - y < rows ? h - y : rows;
		const uint8_t *src = sc->pix[i] + (size_t)y * stride;
		if (sc->swap_rb) {
			uint8_t *o = sc->scratch;
			for (size_t k = 0; k < (size_t)n * w; k++) {
				o[4 * k] = src[4 * k + 2];
				o[4 * k + 1] = src[4 * k + 1];
				o[4 * k + 2] = src[4 * k];
				o[4 * k + 3] = src[4 * k + 3];
			}
			src = o;
		}
		xcb_put_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP, sc->window, sc->gc, (uint16_t)w, (uint16_t)n, 0, (int16_t)y, 0, sc->depth, n * stride, src);
	}
	if (xcb_flush(c) <= 0 || xcb_connection_has_error(c)) {
		layer_log("vkQueuePresentKHR: the X connection broke");
		return VK_ERROR_SURFACE_LOST_KHR;
	}
	/* The layer selects no events, so all that arrives is errors of its
	 * unchecked requests; reading them keeps them from piling up. */
	xcb_generic_event_t *e;
	int lost = 0;
	while ((e = xcb_poll_for_event(c))) {
		if (e->response_type == 0) {
			xcb_generic_error_t *err = (xcb_generic_error_t *)e;
			if (err->error_code == XCB_WINDOW || err->error_code == XCB_G_CONTEXT || err->error_code == XCB_DRAWABLE)
				lost = 1;
			if (!sc->x_error_seen)
				layer_log("vkQueuePresentKHR: X error %u writing window 0x%x", err->error_code, sc->window);
			sc->x_error_seen = 1;
		}
		free(e);
	}
	return lost ? VK_ERROR_SURFACE_LOST_KHR : VK_SUCCESS;
}

static VkResult present_one(struct swapchain *sc, VkQueue queue, uint32_t i, uint32_t nwait, const VkSemaphore *wait)
{
	if (i >= sc->n)
		return VK_ERROR_OUT_OF_DATE_KHR;
	struct device *d = sc->d;
	/* The copy must run on a queue of the pool's family; a game that
	 * presents from another family gets the copy on the layer's queue. */
	uint32_t family;
	if (!queue_family_of(d, queue, &family) || family != sc->family)
		queue = default_queue(d, &family);
	VkResult r = copy_to_host(sc, queue, i, nwait, wait);
	if (r != VK_SUCCESS) {
		layer_log("vkQueuePresentKHR: copying image %u to the host failed (%d)", i, r);
		return r;
	}
	pace(sc);
	if ((r = put(sc, i)) != VK_SUCCESS)
		return r;
	uint32_t gw, gh;
	uint8_t depth;
	if (window_geometry(sc->window, &gw, &gh, &depth) != 0)
		return VK_ERROR_SURFACE_LOST_KHR;
	/* Tells the game to make a swapchain of the window's new size. */
	if (gw != sc->extent.width || gh != sc->extent.height)
		return VK_SUBOPTIMAL_KHR;
	return sc->retired ? VK_ERROR_OUT_OF_DATE_KHR : VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL QueuePresentKHR(VkQueue queue, const VkPresentInfoKHR *info)
{
	struct device *d = device_of(queue);
	if (!d)
		return VK_ERROR_DEVICE_LOST;
	VkResult worst = VK_SUCCESS;
	int waited = 0;
	for (uint32_t k = 0; k < info->swapchainCount; k++) {
		struct swapchain *sc = swapchain_lookup(info->pSwapchains[k]);
		VkResult r;
		if (!sc) {
			r = VK_ERROR_SURFACE_LOST_KHR;
		} else {
			/* The first copy consumes the wait semaphores; copies are
			 * waited for on the CPU, so later ones follow it anyway. */
			r = present_one(sc, queue, info->pImageIndices[k], waited ? 0 : info->waitSemaphoreCount, info->pWaitSemaphores);
			waited = 1;
		}
		if (info->pResults)
			info->pResults[k] = r;
		if (r < 0 && (worst >= 0 || r < worst))
			worst = r;
		else if (r == VK_SUBOPTIMAL_KHR && worst == VK_SUCCESS)
			worst = r;
	}
	if (!waited && info->waitSemaphoreCount) {
		/* Unsignal the semaphores even though nothing was shown, so
		 * the game can signal them again. */
		VkPipelineStageFlags st[16];
		uint32_t n = info->waitSemaphoreCount < 16 ? info->waitSemaphoreCount : 16;
		for (uint32_t k = 0; k < n; k++)
			st[k] = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
		VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .waitSemaphoreCount = n, .pWaitSemaphores = info->pWaitSemaphores, .pWaitDstStageMask = st};
		pthread_mutex_lock(&d->submit_mu);
		VkResult r = d->QueueSubmit(queue, 1, &si, VK_NULL_HANDLE);
		pthread_mutex_unlock(&d->submit_mu);
		if (r != VK_SUCCESS)
			layer_log("vkQueuePresentKHR: releasing the wait semaphores failed (%d)", r);
	}
	return worst;
}

PFN_vkVoidFunction present_proc(const char *name)
{
	if (!strcmp(name, "vkQueuePresentKHR"))
		return (PFN_vkVoidFunction)QueuePresentKHR;
	return NULL;
}
