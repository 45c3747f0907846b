/* A swapchain of VK_LAYER_STRATUS_present, shared by swapchain.c (its
 * life and acquire) and present.c (the copy to the window). */
#ifndef STRATUS_SWAPCHAIN_H
#define STRATUS_SWAPCHAIN_H

#include "layer.h"

struct swapchain {
	struct device *d;
	xcb_window_t window;
	xcb_gcontext_t gc;
	uint8_t depth;
	VkExtent2D extent;
	VkPresentModeKHR mode;
	int swap_rb; /* R8G8B8A8 images: X wants blue first */
	int coherent;
	int retired;
	uint32_t n;
	uint32_t next; /* round-robin acquire index */
	pthread_mutex_t mu;
	int64_t period_ns, deadline_ns;
	uint8_t *scratch; /* one strip, when swap_rb */
	int x_error_seen;
	VkImage image[MAX_IMAGES];
	VkDeviceMemory image_mem[MAX_IMAGES];
	VkBuffer buf[MAX_IMAGES];
	VkDeviceMemory buf_mem[MAX_IMAGES];
	uint8_t *pix[MAX_IMAGES];
	VkDeviceSize buf_size;
	VkCommandPool pool;
	uint32_t family;
	VkCommandBuffer cmd[MAX_IMAGES];
	VkFence fence[MAX_IMAGES];
};

struct swapchain *swapchain_lookup(VkSwapchainKHR h);
PFN_vkVoidFunction present_proc(const char *name);

#endif
