/* Loader plumbing of VK_LAYER_STRATUS_present: the dispatch chain, the
 * GPU filter (STRATUS_VK_DEVICE) and the one-line report of the device a
 * game renders on, which the edge reads back from the game's log. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"

void layer_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	/* One write per line, so lines of concurrent threads do not mix. */
	fprintf(stderr, "stratus-vklayer: %s\n", buf);
}

struct entry {
	uint64_t key;
	void *val;
};

struct table {
	struct entry *e;
	size_t n, cap;
};

static pthread_mutex_t maps_mu = PTHREAD_MUTEX_INITIALIZER;
static struct table maps[MAP_COUNT];

void map_put(int which, uint64_t key, void *val)
{
	pthread_mutex_lock(&maps_mu);
	struct table *t = &maps[which];
	for (size_t i = 0; i < t->n; i++) {
		if (t->e[i].key == key) {
			t->e[i].val = val;
			pthread_mutex_unlock(&maps_mu);
			return;
		}
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct entry *e = realloc(t->e, cap * sizeof *e);
		if (!e) {
			pthread_mutex_unlock(&maps_mu);
			layer_log("out of memory recording a handle");
			return;
		}
		t->e = e;
		t->cap = cap;
	}
	t->e[t->n].key = key;
	t->e[t->n].val = val;
	t->n++;
	pthread_mutex_unlock(&maps_mu);
}

void *map_get(int which, uint64_t key)
{
	void *v = NULL;
	pthread_mutex_lock(&maps_mu);
	struct table *t = &maps[which];
	for (size_t i = 0; i < t->n; i++) {
		if (t->e[i].key == key) {
			v = t->e[i].val;
			break;
		}
	}
	pthread_mutex_unlock(&maps_mu);
	return v;
}

void *map_del(int which, uint64_t key)
{
	void *v = NULL;
	pthread_mutex_lock(&maps_mu);
	struct table *t = &maps[which];
	for (size_t i = 0; i < t->n; i++) {
		if (t->e[i].key == key) {
			v = t->e[i].val;
			t->e[i] = t->e[--t->n];
			break;
		}
	}
	pthread_mutex_unlock(&maps_mu);
	return v;
}

/* Removes every physical device of one instance. */
void forget_phys_of(struct instance *inst)
{
	pthread_mutex_lock(&maps_mu);
	struct table *t = &maps[MAP_PHYS];
	for (size_t i = 0; i < t->n;) {
		if (t->e[i].val == inst)
			t->e[i] = t->e[--t->n];
		else
			i++;
	}
	pthread_mutex_unlock(&maps_mu);
}

struct device *device_of(const void *d) { return map_get(MAP_DEVICE, dkey(d)); }
struct instance *instance_of_phys(VkPhysicalDevice p) { return map_get(MAP_PHYS, (uint64_t)(uintptr_t)p); }

int queue_family_of(struct device *d, VkQueue q, uint32_t *family)
{
	for (uint32_t i = 0; i < d->nqueues; i++) {
		if (d->queues[i].queue == q) {
			*family = d->queues[i].family;
			return 1;
		}
	}
	return 0;
}

VkQueue default_queue(struct device *d, uint32_t *family)
{
	if (d->nqueues == 0)
		return VK_NULL_HANDLE;
	*family = d->queues[0].family;
	return d->queues[0].queue;
}

/* ---- the GPU filter ---- */

static void format_uuid(const uint8_t u[VK_UUID_SIZE], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	int o = 0;
	for (int i = 0; i < VK_UUID_SIZE; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[o] = 0;
}

/* Reads STRATUS_VK_DEVICE; 0 when unset, -1 when malformed, 1 when set. */
static int wanted_uuid(uint8_t out[VK_UUID_SIZE])
{
	const char *s = getenv("STRATUS_VK_DEVICE");
	if (!s || !*s)
		return 0;
	if (strncasecmp(s, "GPU-", 4) == 0)
		s += 4;
	int n = 0, hi = -1;
	for (; *s; s++) {
		if (*s == '-')
			continue;
		if (!isxdigit((unsigned char)*s) || n == VK_UUID_SIZE)
			return -1;
		int v = isdigit((unsigned char)*s) ? *s - '0' : tolower((unsigned char)*s) - 'a' + 10;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n == VK_UUID_SIZE && hi < 0 ? 1 : -1;
}

/* device_filter is wanted_uuid, saying in the log that nothing of what
 * (devices, device groups) is listed for a malformed STRATUS_VK_DEVICE. */
static int device_filter(uint8_t want[VK_UUID_SIZE], const char *what)
{
	int filter = wanted_uuid(want);
	if (filter < 0)
		layer_log("STRATUS_VK_DEVICE=%s is not a device UUID: listing no %s", getenv("STRATUS_VK_DEVICE"), what);
	return filter;
}

static PFN_vkGetPhysicalDeviceProperties2 props2_fn(struct instance *inst, VkPhysicalDevice p)
{
	VkPhysicalDeviceProperties props;
	inst->GetPhysicalDeviceProperties(p, &props);
	if (inst->api >= VK_API_VERSION_1_1 && props.apiVersion >= VK_API_VERSION_1_1 && inst->GetPhysicalDeviceProperties2)
		return inst->GetPhysicalDeviceProperties2;
	if (inst->has_gpdp2_khr)
		return (PFN_vkGetPhysicalDeviceProperties2)inst->gipa(inst->handle, "vkGetPhysicalDeviceProperties2KHR");
	return NULL;
}

static int device_uuid(struct instance *inst, VkPhysicalDevice p, uint8_t out[VK_UUID_SIZE])
{
	PFN_vkGetPhysicalDeviceProperties2 fn = props2_fn(inst, p);
	if (!fn)
		return 0;
	VkPhysicalDeviceIDProperties id = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
	VkPhysicalDeviceProperties2 pr = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &id};
	fn(p, &pr);
	memcpy(out, id.deviceUUID, VK_UUID_SIZE);
	return 1;
}

/* 1: keep p; 0: filtered out. Without a way to read UUIDs nothing is
 * filtered, rather than hiding every GPU from a game on Vulkan 1.0. */
static int keep_device(struct instance *inst, VkPhysicalDevice p, const uint8_t want[VK_UUID_SIZE], int *warned)
{
	uint8_t u[VK_UUID_SIZE];
	if (!device_uuid(inst, p, u)) {
		if (!*warned)
			layer_log("STRATUS_VK_DEVICE ignored: the game's Vulkan 1.0 instance lacks VK_KHR_get_physical_device_properties2, so device UUIDs cannot be read");
		*warned = 1;
		return 1;
	}
	return memcmp(u, want, VK_UUID_SIZE) == 0;
}

static VkResult fetch_all(struct instance *inst, VkPhysicalDevice **out, uint32_t *n)
{
	VkResult r;
	*out = NULL;
	for (;;) {
		r = inst->EnumeratePhysicalDevices(inst->handle, n, NULL);
		if (r != VK_SUCCESS)
			return r;
		free(*out);
		*out = calloc(*n ? *n : 1, sizeof **out);
		if (!*out)
			return VK_ERROR_OUT_OF_HOST_MEMORY;
		r = inst->EnumeratePhysicalDevices(inst->handle, n, *out);
		if (r != VK_INCOMPLETE)
			return r;
	}
}

static VKAPI_ATTR VkResult VKAPI_CALL EnumeratePhysicalDevices(VkInstance instance, uint32_t *pCount, VkPhysicalDevice *pDevs)
{
	struct instance *inst = map_get(MAP_INSTANCE, dkey(instance));
	if (!inst)
		return VK_ERROR_INITIALIZATION_FAILED;
	VkPhysicalDevice *all;
	uint32_t n;
	VkResult r = fetch_all(inst, &all, &n);
	if (r != VK_SUCCESS) {
		free(all);
		return r;
	}
	uint8_t want[VK_UUID_SIZE];
	int filter = device_filter(want, "devices"), warned = 0;
	if (filter < 0)
		n = 0;
	uint32_t kept = 0;
	for (uint32_t i = 0; i < n; i++) {
		map_put(MAP_PHYS, (uint64_t)(uintptr_t)all[i], inst);
		if (filter <= 0 || keep_device(inst, all[i], want, &warned))
			all[kept++] = all[i];
	}
	if (filter > 0 && kept == 0)
		layer_log("no Vulkan device has uuid %s (STRATUS_VK_DEVICE; %u devices seen): listing none", getenv("STRATUS_VK_DEVICE"), n);
	if (!pDevs) {
		*pCount = kept;
	} else {
		uint32_t c = *pCount < kept ? *pCount : kept;
		memcpy(pDevs, all, c * sizeof *all);
		*pCount = c;
		r = c < kept ? VK_INCOMPLETE : VK_SUCCESS;
	}
	free(all);
	return r;
}

static VkResult enum_groups(struct instance *inst, PFN_vkEnumeratePhysicalDeviceGroups fn, uint32_t *pCount, VkPhysicalDeviceGroupProperties *pGroups)
{
	uint32_t n = 0;
	VkResult r = fn(inst->handle, &n, NULL);
	if (r != VK_SUCCESS)
		return r;
	VkPhysicalDeviceGroupProperties *g = calloc(n ? n : 1, sizeof *g);
	if (!g)
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	for (uint32_t i = 0; i < n; i++)
		g[i].sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_GROUP_PROPERTIES;
	r = fn(inst->handle, &n, g);
	if (r < 0) {
		free(g);
		return r;
	}
	uint8_t want[VK_UUID_SIZE];
	int filter = device_filter(want, "device groups"), warned = 0;
	if (filter < 0)
		n = 0;
	uint32_t kept = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t m = 0;
		for (uint32_t j = 0; j < g[i].physicalDeviceCount; j++) {
			VkPhysicalDevice p = g[i].physicalDevices[j];
			map_put(MAP_PHYS, (uint64_t)(uintptr_t)p, inst);
			if (filter <= 0 || keep_device(inst, p, want, &warned))
				g[i].physicalDevices[m++] = p;
		}
		if (m == 0)
			continue;
		if (m != g[i].physicalDeviceCount)
			g[i].subsetAllocation = VK_FALSE;
		g[i].physicalDeviceCount = m;
		g[kept++] = g[i];
	}
	if (filter > 0 && kept == 0)
		layer_log("no Vulkan device group holds uuid %s (STRATUS_VK_DEVICE): listing none", getenv("STRATUS_VK_DEVICE"));
	if (!pGroups) {
		*pCount = kept;
		r = VK_SUCCESS;
	} else {
		uint32_t c = *pCount < kept ? *pCount : kept;
		for (uint32_t i = 0; i < c; i++) {
			/* The app's pNext stays the app's. */
			void *next = pGroups[i].pNext;
			pGroups[i] = g[i];
			pGroups[i].sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_GROUP_PROPERTIES;
			pGroups[i].pNext = next;
		}
		*pCount = c;
		r = c < kept ? VK_INCOMPLETE : VK_SUCCESS;
	}
	free(g);
	return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL EnumeratePhysicalDeviceGroups(VkInstance instance, uint32_t *pCount, VkPhysicalDeviceGroupProperties *pGroups)
{
	struct instance *inst = map_get(MAP_INSTANCE, dkey(instance));
	if (!inst || !inst->EnumeratePhysicalDeviceGroups)
		return VK_ERROR_INITIALIZATION_FAILED;
	return enum_groups(inst, inst->EnumeratePhysicalDeviceGroups, pCount, pGroups);
}

static VKAPI_ATTR VkResult VKAPI_CALL EnumeratePhysicalDeviceGroupsKHR(VkInstance instance, uint32_t *pCount, VkPhysicalDeviceGroupProperties *pGroups)
{
	struct instance *inst = map_get(MAP_INSTANCE, dkey(instance));
	PFN_vkEnumeratePhysicalDeviceGroups fn = inst ? (PFN_vkEnumeratePhysicalDeviceGroups)inst->gipa(inst->handle, "vkEnumeratePhysicalDeviceGroupsKHR") : NULL;
	if (!fn)
		return VK_ERROR_INITIALIZATION_FAILED;
	return enum_groups(inst, fn, pCount, pGroups);
}

PFN_vkVoidFunction filter_proc(const char *name)
{
	if (!strcmp(name, "vkEnumeratePhysicalDevices"))
		return (PFN_vkVoidFunction)EnumeratePhysicalDevices;
	if (!strcmp(name, "vkEnumeratePhysicalDeviceGroups"))
		return (PFN_vkVoidFunction)EnumeratePhysicalDeviceGroups;
	if (!strcmp(name, "vkEnumeratePhysicalDeviceGroupsKHR"))
		return (PFN_vkVoidFunction)EnumeratePhysicalDeviceGroupsKHR;
	return NULL;
}

/* Prints the line the edge reads to name a game's renderer. */
void report_device(struct instance *inst, VkPhysicalDevice p)
{
	VkPhysicalDeviceProperties props;
	inst->GetPhysicalDeviceProperties(p, &props);
	char uuid[37] = "unknown";
	char driver[VK_MAX_DRIVER_NAME_SIZE + 1] = "unknown";
	PFN_vkGetPhysicalDeviceProperties2 fn = props2_fn(inst, p);
	if (fn) {
		VkPhysicalDeviceDriverProperties drv = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
		VkPhysicalDeviceIDProperties id = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
		/* Driver properties are core only from 1.2; chaining them into
		 * an older device's query is not allowed. */
		if (props.apiVersion >= VK_API_VERSION_1_2)
			id.pNext = &drv;
		VkPhysicalDeviceProperties2 pr = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &id};
		fn(p, &pr);
		format_uuid(id.deviceUUID, uuid);
		if (props.apiVersion >= VK_API_VERSION_1_2 && drv.driverName[0])
			snprintf(driver, sizeof driver, "%s", drv.driverName);
	}
	layer_log("device \"%s\" uuid %s driver %s", props.deviceName, uuid, driver);
}
