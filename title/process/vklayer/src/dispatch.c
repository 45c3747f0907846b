/* The loader-facing side of VK_LAYER_STRATUS_present: instance and device
 * creation down the layer chain, and the proc-address lookups that route a
 * game's WSI calls to the layer. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"

PFN_vkVoidFunction filter_proc(const char *name);
void report_device(struct instance *inst, VkPhysicalDevice p);
void forget_phys_of(struct instance *inst);

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetInstanceProcAddr(VkInstance instance, const char *name);
static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetDeviceProcAddr(VkDevice device, const char *name);

static VkLayerInstanceCreateInfo *instance_link(const VkInstanceCreateInfo *ci, VkLayerFunction fn)
{
	for (const VkBaseInStructure *s = ci->pNext; s; s = s->pNext) {
		VkLayerInstanceCreateInfo *l = (VkLayerInstanceCreateInfo *)s;
		if (s->sType == VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO && l->function == fn)
			return l;
	}
	return NULL;
}

static VkLayerDeviceCreateInfo *device_link(const VkDeviceCreateInfo *ci, VkLayerFunction fn)
{
	for (const VkBaseInStructure *s = ci->pNext; s; s = s->pNext) {
		VkLayerDeviceCreateInfo *l = (VkLayerDeviceCreateInfo *)s;
		if (s->sType == VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO && l->function == fn)
			return l;
	}
	return NULL;
}

static VKAPI_ATTR VkResult VKAPI_CALL CreateInstance(const VkInstanceCreateInfo *ci, const VkAllocationCallbacks *alloc, VkInstance *pInstance)
{
	VkLayerInstanceCreateInfo *link = instance_link(ci, VK_LAYER_LINK_INFO);
	if (!link || !link->u.pLayerInfo) {
		layer_log("vkCreateInstance: no layer link from the loader");
		return VK_ERROR_INITIALIZATION_FAILED;
	}
	PFN_vkGetInstanceProcAddr gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
	PFN_vkCreateInstance create = (PFN_vkCreateInstance)gipa(VK_NULL_HANDLE, "vkCreateInstance");
	if (!create) {
		layer_log("vkCreateInstance: the next layer has none");
		return VK_ERROR_INITIALIZATION_FAILED;
	}
	/* The next layer reads the next link. */
	link->u.pLayerInfo = link->u.pLayerInfo->pNext;
	VkResult r = create(ci, alloc, pInstance);
	if (r != VK_SUCCESS)
		return r;

	struct instance *inst = calloc(1, sizeof *inst);
	if (!inst) {
		layer_log("vkCreateInstance: out of memory");
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	}
	inst->handle = *pInstance;
	inst->gipa = gipa;
	inst->api = ci->pApplicationInfo && ci->pApplicationInfo->apiVersion ? ci->pApplicationInfo->apiVersion : VK_API_VERSION_1_0;
	for (uint32_t i = 0; i < ci->enabledExtensionCount; i++)
		if (!strcmp(ci->ppEnabledExtensionNames[i], VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME))
			inst->has_gpdp2_khr = 1;
#define GET(f) inst->f = (PFN_vk##f)gipa(*pInstance, "vk" #f)
	GET(DestroyInstance);
	GET(EnumeratePhysicalDevices);
	GET(EnumeratePhysicalDeviceGroups);
	GET(GetPhysicalDeviceProperties);
	GET(GetPhysicalDeviceProperties2);
	GET(GetPhysicalDeviceMemoryProperties);
	GET(GetPhysicalDeviceQueueFamilyProperties);
	GET(CreateDevice);
	GET(CreateXcbSurfaceKHR);
	GET(CreateXlibSurfaceKHR);
	GET(DestroySurfaceKHR);
	GET(GetPhysicalDeviceSurfaceSupportKHR);
	GET(GetPhysicalDeviceSurfaceCapabilitiesKHR);
	GET(GetPhysicalDeviceSurfaceCapabilities2KHR);
	GET(GetPhysicalDeviceSurfaceFormatsKHR);
	GET(GetPhysicalDeviceSurfaceFormats2KHR);
	GET(GetPhysicalDeviceSurfacePresentModesKHR);
	GET(GetPhysicalDeviceXcbPresentationSupportKHR);
	GET(GetPhysicalDeviceXlibPresentationSupportKHR);
#undef GET
	map_put(MAP_INSTANCE, dkey(*pInstance), inst);
	return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL DestroyInstance(VkInstance instance, const VkAllocationCallbacks *alloc)
{
	if (!instance)
		return;
	struct instance *inst = map_del(MAP_INSTANCE, dkey(instance));
	if (!inst)
		return;
	forget_phys_of(inst); /* keyed by handle, not dispatch: they go by hand */
	inst->DestroyInstance(instance, alloc);
	free(inst);
}

static VkResult record_queues(struct device *d, const VkDeviceCreateInfo *ci)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < ci->queueCreateInfoCount; i++)
		n += ci->pQueueCreateInfos[i].queueCount;
	d->queues = calloc(n ? n : 1, sizeof *d->queues);
	if (!d->queues)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	for (uint32_t i = 0; i < ci->queueCreateInfoCount; i++) {
		const VkDeviceQueueCreateInfo *q = &ci->pQueueCreateInfos[i];
		for (uint32_t j = 0; j < q->queueCount; j++) {
			VkQueue queue = VK_NULL_HANDLE;
			if (q->flags && d->GetDeviceQueue2) {
				VkDeviceQueueInfo2 qi = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_INFO_2, .flags = q->flags, .queueFamilyIndex = q->queueFamilyIndex, .queueIndex = j};
				d->GetDeviceQueue2(d->handle, &qi, &queue);
			} else if (!q->flags) {
				d->GetDeviceQueue(d->handle, q->queueFamilyIndex, j, &queue);
			}
			if (!queue)
				continue;
			/* The loader has not seen this queue yet; it must carry
			 * the device's dispatch before the layer submits to it. */
			if (d->set_loader_data && d->set_loader_data(d->handle, queue) != VK_SUCCESS)
				layer_log("vkCreateDevice: cannot set the loader data of a queue");
			d->queues[d->nqueues].queue = queue;
			d->queues[d->nqueues].family = q->queueFamilyIndex;
			d->nqueues++;
		}
	}
	return VK_SUCCESS;
}

static atomic_int reported;

static VKAPI_ATTR VkResult VKAPI_CALL CreateDevice(VkPhysicalDevice phys, const VkDeviceCreateInfo *ci, const VkAllocationCallbacks *alloc, VkDevice *pDevice)
{
	struct instance *inst = instance_of_phys(phys);
	VkLayerDeviceCreateInfo *link = device_link(ci, VK_LAYER_LINK_INFO);
	VkLayerDeviceCreateInfo *cb = device_link(ci, VK_LOADER_DATA_CALLBACK);
	if (!inst || !link || !link->u.pLayerInfo) {
		layer_log("vkCreateDevice: unknown physical device or no layer link");
		return VK_ERROR_INITIALIZATION_FAILED;
	}
	PFN_vkGetInstanceProcAddr gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
	PFN_vkGetDeviceProcAddr gdpa = link->u.pLayerInfo->pfnNextGetDeviceProcAddr;
	PFN_vkCreateDevice create = (PFN_vkCreateDevice)gipa(inst->handle, "vkCreateDevice");
	if (!create) {
		layer_log("vkCreateDevice: the next layer has none");
		return VK_ERROR_INITIALIZATION_FAILED;
	}
	link->u.pLayerInfo = link->u.pLayerInfo->pNext;
	VkResult r = create(phys, ci, alloc, pDevice);
	if (r != VK_SUCCESS)
		return r;

	if (!atomic_exchange(&reported, 1))
		report_device(inst, phys);

	struct device *d = calloc(1, sizeof *d);
	if (!d) {
		layer_log("vkCreateDevice: out of memory");
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	}
	d->handle = *pDevice;
	d->phys = phys;
	d->inst = inst;
	d->gdpa = gdpa;
	d->set_loader_data = cb ? cb->u.pfnSetDeviceLoaderData : NULL;
	pthread_mutex_init(&d->submit_mu, NULL);
	inst->GetPhysicalDeviceMemoryProperties(phys, &d->mem);
#define GET(f) d->f = (PFN_vk##f)gdpa(*pDevice, "vk" #f)
	GET(DestroyDevice);
	GET(GetDeviceQueue);
	GET(GetDeviceQueue2);
	GET(QueueSubmit);
	GET(DeviceWaitIdle);
	GET(CreateImage);
	GET(DestroyImage);
	GET(GetImageMemoryRequirements);
	GET(BindImageMemory);
	GET(CreateBuffer);
	GET(DestroyBuffer);
	GET(GetBufferMemoryRequirements);
	GET(BindBufferMemory);
	GET(AllocateMemory);
	GET(FreeMemory);
	GET(MapMemory);
	GET(InvalidateMappedMemoryRanges);
	GET(CreateCommandPool);
	GET(DestroyCommandPool);
	GET(AllocateCommandBuffers);
	GET(BeginCommandBuffer);
	GET(EndCommandBuffer);
	GET(ResetCommandBuffer);
	GET(CmdPipelineBarrier);
	GET(CmdCopyImageToBuffer);
	GET(CreateFence);
	GET(DestroyFence);
	GET(WaitForFences);
	GET(ResetFences);
#undef GET
	if (record_queues(d, ci) != VK_SUCCESS)
		layer_log("vkCreateDevice: out of memory recording queues; presenting will fail");
	map_put(MAP_DEVICE, dkey(*pDevice), d);
	return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL DestroyDevice(VkDevice device, const VkAllocationCallbacks *alloc)
{
	if (!device)
		return;
	struct device *d = map_del(MAP_DEVICE, dkey(device));
	if (!d)
		return;
	d->DestroyDevice(device, alloc);
	pthread_mutex_destroy(&d->submit_mu);
	free(d->queues);
	free(d);
}

static PFN_vkVoidFunction device_proc(const char *name)
{
	if (!strcmp(name, "vkGetDeviceProcAddr"))
		return (PFN_vkVoidFunction)GetDeviceProcAddr;
	if (!strcmp(name, "vkDestroyDevice"))
		return (PFN_vkVoidFunction)DestroyDevice;
	return swapchain_proc(name);
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetDeviceProcAddr(VkDevice device, const char *name)
{
	PFN_vkVoidFunction f = device_proc(name);
	if (f)
		return f;
	struct device *d = device_of(device);
	return d ? d->gdpa(device, name) : NULL;
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetInstanceProcAddr(VkInstance instance, const char *name)
{
	if (!strcmp(name, "vkGetInstanceProcAddr"))
		return (PFN_vkVoidFunction)GetInstanceProcAddr;
	if (!strcmp(name, "vkCreateInstance"))
		return (PFN_vkVoidFunction)CreateInstance;
	if (!strcmp(name, "vkDestroyInstance"))
		return (PFN_vkVoidFunction)DestroyInstance;
	if (!strcmp(name, "vkCreateDevice"))
		return (PFN_vkVoidFunction)CreateDevice;
	PFN_vkVoidFunction f = filter_proc(name);
	if (!f)
		f = surface_proc(name);
	if (!f)
		f = device_proc(name);
	if (f)
		return f;
	if (!instance)
		return NULL;
	struct instance *inst = map_get(MAP_INSTANCE, dkey(instance));
	return inst ? inst->gipa(instance, name) : NULL;
}

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkGetInstanceProcAddr(VkInstance instance, const char *name)
{
	return GetInstanceProcAddr(instance, name);
}

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkGetDeviceProcAddr(VkDevice device, const char *name)
{
	return GetDeviceProcAddr(device, name);
}

EXPORT VKAPI_ATTR VkResult VKAPI_CALL vkNegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface *v)
{
	if (!v || v->sType != LAYER_NEGOTIATE_INTERFACE_STRUCT)
		return VK_ERROR_INITIALIZATION_FAILED;
	if (v->loaderLayerInterfaceVersion > 2)
		v->loaderLayerInterfaceVersion = 2;
	/* The static functions, not the exported names: in a game linked
	 * against libvulkan those names resolve to the loader's own
	 * trampolines, which would call back into the loader. */
	v->pfnGetInstanceProcAddr = GetInstanceProcAddr;
	v->pfnGetDeviceProcAddr = GetDeviceProcAddr;
	v->pfnGetPhysicalDeviceProcAddr = NULL;
	return VK_SUCCESS;
}
