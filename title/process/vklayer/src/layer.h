/* Shared state of VK_LAYER_STRATUS_present: a Vulkan layer that presents
 * swapchain images itself, with one GPU-to-host copy and xcb_put_image,
 * because drivers such as NVIDIA's cannot create swapchains on Xvfb. */
#ifndef STRATUS_LAYER_H
#define STRATUS_LAYER_H

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <xcb/xcb.h>
#include <vulkan/vulkan_core.h>
#include <vulkan/vk_layer.h>
#include <vulkan/vulkan_xcb.h>
/* Xlib surfaces only carry a window number; the layer never talks Xlib,
 * so these stand in for <X11/Xlib.h> and libX11 is not linked. */
typedef unsigned long Window;
typedef struct _XDisplay Display;
typedef unsigned long VisualID;
#include <vulkan/vulkan_xlib.h>

#define LAYER_NAME "VK_LAYER_STRATUS_present"
#define EXPORT __attribute__((visibility("default")))

/* PROC returns f from a *_proc(name) lookup when name is "vk" #f. */
#define PROC(f) \
	if (!strcmp(name, "vk" #f)) \
		return (PFN_vkVoidFunction)f;
#define MAX_IMAGES 8

void layer_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct instance {
	VkInstance handle;
	uint32_t api; /* the app's requested API version */
	int has_gpdp2_khr;
	PFN_vkGetInstanceProcAddr gipa;
	PFN_vkDestroyInstance DestroyInstance;
	PFN_vkEnumeratePhysicalDevices EnumeratePhysicalDevices;
	PFN_vkEnumeratePhysicalDeviceGroups EnumeratePhysicalDeviceGroups;
	PFN_vkGetPhysicalDeviceProperties GetPhysicalDeviceProperties;
	PFN_vkGetPhysicalDeviceProperties2 GetPhysicalDeviceProperties2;
	PFN_vkGetPhysicalDeviceMemoryProperties GetPhysicalDeviceMemoryProperties;
	PFN_vkGetPhysicalDeviceQueueFamilyProperties GetPhysicalDeviceQueueFamilyProperties;
	PFN_vkCreateDevice CreateDevice;
	PFN_vkCreateXcbSurfaceKHR CreateXcbSurfaceKHR;
	PFN_vkCreateXlibSurfaceKHR CreateXlibSurfaceKHR;
	PFN_vkDestroySurfaceKHR DestroySurfaceKHR;
	PFN_vkGetPhysicalDeviceSurfaceSupportKHR GetPhysicalDeviceSurfaceSupportKHR;
	PFN_vkGetPhysicalDeviceSurfaceCapabilitiesKHR GetPhysicalDeviceSurfaceCapabilitiesKHR;
	PFN_vkGetPhysicalDeviceSurfaceCapabilities2KHR GetPhysicalDeviceSurfaceCapabilities2KHR;
	PFN_vkGetPhysicalDeviceSurfaceFormatsKHR GetPhysicalDeviceSurfaceFormatsKHR;
	PFN_vkGetPhysicalDeviceSurfaceFormats2KHR GetPhysicalDeviceSurfaceFormats2KHR;
	PFN_vkGetPhysicalDeviceSurfacePresentModesKHR GetPhysicalDeviceSurfacePresentModesKHR;
	PFN_vkGetPhysicalDeviceXcbPresentationSupportKHR GetPhysicalDeviceXcbPresentationSupportKHR;
	PFN_vkGetPhysicalDeviceXlibPresentationSupportKHR GetPhysicalDeviceXlibPresentationSupportKHR;
};

struct queue_rec {
	VkQueue queue;
	uint32_t family;
};

struct device {
	VkDevice handle;
	VkPhysicalDevice phys;
	struct instance *inst;
	VkPhysicalDeviceMemoryProperties mem;
	PFN_vkSetDeviceLoaderData set_loader_data;
	struct queue_rec *queues;
	uint32_t nqueues;
	/* The layer's own submits (acquire signals, present copies) go
	 * through this lock; the app must not use the same queue from another
	 * thread meanwhile, Vulkan's usual external-synchronisation rule. */
	pthread_mutex_t submit_mu;
	PFN_vkGetDeviceProcAddr gdpa;
	PFN_vkDestroyDevice DestroyDevice;
	PFN_vkGetDeviceQueue GetDeviceQueue;
	PFN_vkGetDeviceQueue2 GetDeviceQueue2;
	PFN_vkQueueSubmit QueueSubmit;
	PFN_vkDeviceWaitIdle DeviceWaitIdle;
	PFN_vkCreateImage CreateImage;
	PFN_vkDestroyImage DestroyImage;
	PFN_vkGetImageMemoryRequirements GetImageMemoryRequirements;
	PFN_vkBindImageMemory BindImageMemory;
	PFN_vkCreateBuffer CreateBuffer;
	PFN_vkDestroyBuffer DestroyBuffer;
	PFN_vkGetBufferMemoryRequirements GetBufferMemoryRequirements;
	PFN_vkBindBufferMemory BindBufferMemory;
	PFN_vkAllocateMemory AllocateMemory;
	PFN_vkFreeMemory FreeMemory;
	PFN_vkMapMemory MapMemory;
	PFN_vkInvalidateMappedMemoryRanges InvalidateMappedMemoryRanges;
	PFN_vkCreateCommandPool CreateCommandPool;
	PFN_vkDestroyCommandPool DestroyCommandPool;
	PFN_vkAllocateCommandBuffers AllocateCommandBuffers;
	PFN_vkBeginCommandBuffer BeginCommandBuffer;
	PFN_vkEndCommandBuffer EndCommandBuffer;
	PFN_vkResetCommandBuffer ResetCommandBuffer;
	PFN_vkCmdPipelineBarrier CmdPipelineBarrier;
	PFN_vkCmdCopyImageToBuffer CmdCopyImageToBuffer;
	PFN_vkCreateFence CreateFence;
	PFN_vkDestroyFence DestroyFence;
	PFN_vkWaitForFences WaitForFences;
	PFN_vkResetFences ResetFences;
};

/* Maps from a handle (or a dispatch key) to the layer's record, one lock
 * for all of them: lookups are rare next to the work each call does. */
void map_put(int which, uint64_t key, void *val);
void *map_get(int which, uint64_t key);
void *map_del(int which, uint64_t key);
enum { MAP_INSTANCE, MAP_PHYS, MAP_DEVICE, MAP_SURFACE, MAP_SWAPCHAIN, MAP_COUNT };

static inline uint64_t dkey(const void *dispatchable) { return (uint64_t)(uintptr_t)*(void *const *)dispatchable; }

struct device *device_of(const void *dispatchable); /* device or queue */
struct instance *instance_of_phys(VkPhysicalDevice p);
int queue_family_of(struct device *d, VkQueue q, uint32_t *family);
VkQueue default_queue(struct device *d, uint32_t *family);

/* surface.c */
xcb_connection_t *x_conn(void);
int surface_window(VkSurfaceKHR s, xcb_window_t *w);
int window_geometry(xcb_window_t w, uint32_t *width, uint32_t *height, uint8_t *depth);
PFN_vkVoidFunction surface_proc(const char *name);

/* swapchain.c */
PFN_vkVoidFunction swapchain_proc(const char *name);

#endif
