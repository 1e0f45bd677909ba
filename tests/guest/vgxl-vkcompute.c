/*
 * vgxl-vkcompute: run one compute shader on the Venus device and check
 * every element of its result.
 *
 * The input and output buffers live in HOST_VISIBLE | HOST_COHERENT
 * memory, which Venus backs with blob resources mapped into the device's
 * hostmem window: the CPU writes the input and reads the result through
 * that window, so a wrong byte anywhere in the mapping path shows up as a
 * mismatch.  Only the Venus device is accepted; a guest-side software
 * device (llvmpipe) would pass without touching the device at all.
 *
 * usage: vgxl-vkcompute [--any-device] [--repeat R] [N]
 *   N elements (default 65536); --repeat R then times R more dispatches
 *   and prints the throughput; --any-device takes the first device, to
 *   run the same shader on the host's own driver for comparison.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vulkan/vulkan.h>

/* Generated at build time by glslangValidator from vgxl-vkcompute.comp. */
#include "vgxl-vkcompute.spv.h"

/* Seconds since boot: progress lines for runs where a step is slow. */
static double uptime(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define DEFAULT_N 65536
#define LOCAL_SIZE 64                       /* local_size_x of the shader */
#define FENCE_TIMEOUT_NS (30ull * 1000 * 1000 * 1000)

#define MEM_FLAGS (VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | \
                   VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)

static void check(VkResult r, const char *what)
{
    if (r != VK_SUCCESS) {
        printf("compute check: FAIL (%s: VkResult %d)\n", what, r);
        exit(1);
    }
}

static uint32_t input_value(uint32_t i)
{
    /* Varied bits in every element, so that a shifted copy cannot pass. */
    return i * 2654435761u ^ 0x5a5a0000u ^ (i >> 7);
}

static uint32_t expected_value(uint32_t i)
{
    return input_value(i) * 3u + 7u;
}

static bool is_venus(VkPhysicalDevice pd, char *name, size_t len)
{
    VkPhysicalDeviceDriverProperties driver = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
    };
    VkPhysicalDeviceProperties2 props = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
    };
    VkPhysicalDeviceProperties plain;

    vkGetPhysicalDeviceProperties(pd, &plain);
    snprintf(name, len, "%s", plain.deviceName);
    /* The driver properties are core only from Vulkan 1.2 on. */
    if (plain.apiVersion >= VK_API_VERSION_1_2) {
        props.pNext = &driver;
        vkGetPhysicalDeviceProperties2(pd, &props);
        if (driver.driverID == VK_DRIVER_ID_MESA_VENUS) {
            return true;
        }
    }
    return strstr(plain.deviceName, "Venus") != NULL;
}

/* With --any-device: the shader on the host's own driver, to compare. */
static bool any_device;

static VkPhysicalDevice pick_venus(VkInstance inst, char *name, size_t len)
{
    VkPhysicalDevice *pds;
    VkPhysicalDevice found = VK_NULL_HANDLE;
    uint32_t count = 0, i;
    char others[512] = "";
    char n[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];

    check(vkEnumeratePhysicalDevices(inst, &count, NULL),
          "vkEnumeratePhysicalDevices");
    pds = calloc(count ? count : 1, sizeof(*pds));
    check(vkEnumeratePhysicalDevices(inst, &count, pds),
          "vkEnumeratePhysicalDevices");
    for (i = 0; i < count; i++) {
        if (is_venus(pds[i], n, sizeof(n)) || any_device) {
            if (found == VK_NULL_HANDLE) {
                found = pds[i];
                snprintf(name, len, "%s", n);
            }
        } else {
            size_t l = strlen(others);

            snprintf(others + l, sizeof(others) - l, "%s'%s'",
                     l ? ", " : "", n);
        }
    }
    free(pds);
    if (found == VK_NULL_HANDLE) {
        printf("compute check: FAIL (no Venus device among %u Vulkan"
               " device(s)%s%s; a guest-side software device does not"
               " exercise virtio-gpu)\n", count, count ? ": " : "", others);
        exit(1);
    }
    return found;
}

static uint32_t pick_memory_type(VkPhysicalDevice pd, uint32_t type_bits,
                                 VkMemoryPropertyFlags *flags)
{
    VkPhysicalDeviceMemoryProperties mp;
    uint32_t i;

    vkGetPhysicalDeviceMemoryProperties(pd, &mp);
    for (i = 0; i < mp.memoryTypeCount; i++) {
        if ((type_bits & (1u << i)) &&
            (mp.memoryTypes[i].propertyFlags & MEM_FLAGS) == MEM_FLAGS) {
            *flags = mp.memoryTypes[i].propertyFlags;
            return i;
        }
    }
    printf("compute check: FAIL (no HOST_VISIBLE | HOST_COHERENT memory"
           " type for the buffer, type bits 0x%x)\n", type_bits);
    exit(1);
}

static uint32_t pick_queue_family(VkPhysicalDevice pd)
{
    VkQueueFamilyProperties qf[16];
    uint32_t count = 16, i;

    vkGetPhysicalDeviceQueueFamilyProperties(pd, &count, qf);
    for (i = 0; i < count; i++) {
        if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
            return i;
        }
    }
    printf("compute check: FAIL (no compute queue)\n");
    exit(1);
}

/* Everything one run creates, so that each step can be its own function. */
typedef struct Ctx {
    uint32_t n;
    VkDeviceSize bytes;
    VkInstance inst;
    VkPhysicalDevice pd;
    uint32_t family;
    VkDevice dev;
    VkQueue queue;
    VkBuffer buf[2];
    VkDeviceMemory mem[2];
    uint32_t *map[2];
    VkDescriptorSetLayout dsl;
    VkPipelineLayout layout;
    VkShaderModule shader;
    VkPipeline pipeline;
    VkDescriptorPool pool;
    VkDescriptorSet set;
    VkCommandPool cmd_pool;
    VkCommandBuffer cmd;
    VkFence fence;
} Ctx;

static void create_device(Ctx *c)
{
    char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
    float prio = 1.0f;
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "vgxl-vkcompute",
        .apiVersion = VK_API_VERSION_1_2,
    };
    VkInstanceCreateInfo ici = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pApplicationInfo = &app,
    };
    VkDeviceQueueCreateInfo qci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueCount = 1,
        .pQueuePriorities = &prio,
    };
    VkDeviceCreateInfo dci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &qci,
    };

    check(vkCreateInstance(&ici, NULL, &c->inst), "vkCreateInstance");
    c->pd = pick_venus(c->inst, name, sizeof(name));
    printf("device: %s\n", name);
    fflush(stdout);
    c->family = pick_queue_family(c->pd);
    qci.queueFamilyIndex = c->family;
    check(vkCreateDevice(c->pd, &dci, NULL, &c->dev), "vkCreateDevice");
    vkGetDeviceQueue(c->dev, c->family, 0, &c->queue);
}

/*
 * One allocation per buffer, so that input and output are two separate
 * blobs in the hostmem window.
 */
static void create_buffers(Ctx *c)
{
    VkMemoryPropertyFlags flags = 0;
    uint32_t type = 0;
    int b;

    for (b = 0; b < 2; b++) {
        VkBufferCreateInfo bci = {
            .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
            .size = c->bytes,
            .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
            .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
        };
        VkMemoryAllocateInfo mai = {
            .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        };
        VkMemoryRequirements req;

        check(vkCreateBuffer(c->dev, &bci, NULL, &c->buf[b]),
              "vkCreateBuffer");
        vkGetBufferMemoryRequirements(c->dev, c->buf[b], &req);
        type = pick_memory_type(c->pd, req.memoryTypeBits, &flags);
        mai.allocationSize = req.size;
        mai.memoryTypeIndex = type;
        check(vkAllocateMemory(c->dev, &mai, NULL, &c->mem[b]),
              "vkAllocateMemory");
        check(vkBindBufferMemory(c->dev, c->buf[b], c->mem[b], 0),
              "vkBindBufferMemory");
        check(vkMapMemory(c->dev, c->mem[b], 0, VK_WHOLE_SIZE, 0,
                          (void **)&c->map[b]), "vkMapMemory");
    }
    printf("memory: type %u, flags 0x%x, 2 x %" PRIu64 " bytes\n",
           type, flags, (uint64_t)c->bytes);
}

static void create_pipeline(Ctx *c)
{
    VkDescriptorSetLayoutBinding binds[2] = {
        {
            .binding = 0,
            .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
            .descriptorCount = 1,
            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        }, {
            .binding = 1,
            .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
            .descriptorCount = 1,
            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        },
    };
    VkDescriptorSetLayoutCreateInfo dslci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 2,
        .pBindings = binds,
    };
    VkPushConstantRange pcr = {
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        .size = sizeof(uint32_t),
    };
    VkPipelineLayoutCreateInfo plci = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 1,
        .pSetLayouts = &c->dsl,
        .pushConstantRangeCount = 1,
        .pPushConstantRanges = &pcr,
    };
    VkShaderModuleCreateInfo smci = {
        .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
        .codeSize = sizeof(vgxl_vkcompute_spv),
        .pCode = vgxl_vkcompute_spv,
    };
    VkComputePipelineCreateInfo cpci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {
            .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
            .stage = VK_SHADER_STAGE_COMPUTE_BIT,
            .pName = "main",
        },
    };
    VkDescriptorPoolSize ps = {
        .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .descriptorCount = 2,
    };
    VkDescriptorPoolCreateInfo dpci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
        .maxSets = 1,
        .poolSizeCount = 1,
        .pPoolSizes = &ps,
    };
    VkDescriptorSetAllocateInfo dsai = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
        .descriptorSetCount = 1,
        .pSetLayouts = &c->dsl,
    };
    VkDescriptorBufferInfo dbi[2] = {
        { .buffer = c->buf[0], .range = VK_WHOLE_SIZE },
        { .buffer = c->buf[1], .range = VK_WHOLE_SIZE },
    };
    VkWriteDescriptorSet wds = {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstBinding = 0,
        .descriptorCount = 2,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = dbi,
    };

    check(vkCreateDescriptorSetLayout(c->dev, &dslci, NULL, &c->dsl),
          "vkCreateDescriptorSetLayout");
    check(vkCreatePipelineLayout(c->dev, &plci, NULL, &c->layout),
          "vkCreatePipelineLayout");
    check(vkCreateShaderModule(c->dev, &smci, NULL, &c->shader),
          "vkCreateShaderModule");
    cpci.stage.module = c->shader;
    cpci.layout = c->layout;
    /* The host compiles the shader here: the slow step where it is emulated. */
    check(vkCreateComputePipelines(c->dev, VK_NULL_HANDLE, 1, &cpci, NULL,
                                   &c->pipeline),
          "vkCreateComputePipelines");
    printf("pipeline: created at uptime %.1f s\n", uptime());
    check(vkCreateDescriptorPool(c->dev, &dpci, NULL, &c->pool),
          "vkCreateDescriptorPool");
    dsai.descriptorPool = c->pool;
    check(vkAllocateDescriptorSets(c->dev, &dsai, &c->set),
          "vkAllocateDescriptorSets");
    wds.dstSet = c->set;
    vkUpdateDescriptorSets(c->dev, 1, &wds, 0, NULL);
}

static void run_shader(Ctx *c)
{
    VkCommandPoolCreateInfo cpoolci = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .queueFamilyIndex = c->family,
    };
    VkCommandBufferAllocateInfo cbai = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    VkCommandBufferBeginInfo cbbi = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    };
    /*
     * Coherent memory needs no flush or invalidate, but the host's writes
     * still have to be made visible to the shader and the shader's writes
     * to the host.
     */
    VkMemoryBarrier to_shader = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_HOST_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_SHADER_READ_BIT,
    };
    VkMemoryBarrier to_host = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
    };
    VkFenceCreateInfo fci = {
        .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO,
    };
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &c->cmd,
    };

    check(vkCreateCommandPool(c->dev, &cpoolci, NULL, &c->cmd_pool),
          "vkCreateCommandPool");
    cbai.commandPool = c->cmd_pool;
    check(vkAllocateCommandBuffers(c->dev, &cbai, &c->cmd),
          "vkAllocateCommandBuffers");
    check(vkBeginCommandBuffer(c->cmd, &cbbi), "vkBeginCommandBuffer");
    vkCmdPipelineBarrier(c->cmd, VK_PIPELINE_STAGE_HOST_BIT,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0,
                         1, &to_shader, 0, NULL, 0, NULL);
    vkCmdBindPipeline(c->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, c->pipeline);
    vkCmdBindDescriptorSets(c->cmd, VK_PIPELINE_BIND_POINT_COMPUTE,
                            c->layout, 0, 1, &c->set, 0, NULL);
    vkCmdPushConstants(c->cmd, c->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                       sizeof(c->n), &c->n);
    vkCmdDispatch(c->cmd, (c->n + LOCAL_SIZE - 1) / LOCAL_SIZE, 1, 1);
    vkCmdPipelineBarrier(c->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT, 0,
                         1, &to_host, 0, NULL, 0, NULL);
    check(vkEndCommandBuffer(c->cmd), "vkEndCommandBuffer");

    check(vkCreateFence(c->dev, &fci, NULL, &c->fence), "vkCreateFence");
    check(vkQueueSubmit(c->queue, 1, &si, c->fence), "vkQueueSubmit");
    printf("dispatch: submitted at uptime %.1f s\n", uptime());
    /* Bounded, so that a lost fence fails the job instead of hanging. */
    check(vkWaitForFences(c->dev, 1, &c->fence, VK_TRUE, FENCE_TIMEOUT_NS),
          "vkWaitForFences");
}

/* Submit the dispatch @repeat more times; print elements per second. */
static void time_shader(Ctx *c, uint32_t repeat)
{
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &c->cmd,
    };
    struct timespec t0, t1;
    double s;
    uint32_t r;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (r = 0; r < repeat; r++) {
        check(vkResetFences(c->dev, 1, &c->fence), "vkResetFences");
        check(vkQueueSubmit(c->queue, 1, &si, c->fence), "vkQueueSubmit");
        check(vkWaitForFences(c->dev, 1, &c->fence, VK_TRUE,
                              FENCE_TIMEOUT_NS), "vkWaitForFences");
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("compute throughput: %.1f Melements/s (%u dispatches of %u"
           " elements in %.3f s)\n", (double)c->n * repeat / s / 1e6,
           repeat, c->n, s);
}

static void destroy(Ctx *c)
{
    int b;

    vkDestroyFence(c->dev, c->fence, NULL);
    vkDestroyCommandPool(c->dev, c->cmd_pool, NULL);
    vkDestroyDescriptorPool(c->dev, c->pool, NULL);
    vkDestroyPipeline(c->dev, c->pipeline, NULL);
    vkDestroyShaderModule(c->dev, c->shader, NULL);
    vkDestroyPipelineLayout(c->dev, c->layout, NULL);
    vkDestroyDescriptorSetLayout(c->dev, c->dsl, NULL);
    for (b = 0; b < 2; b++) {
        vkUnmapMemory(c->dev, c->mem[b]);
        vkDestroyBuffer(c->dev, c->buf[b], NULL);
        vkFreeMemory(c->dev, c->mem[b], NULL);
    }
    vkDestroyDevice(c->dev, NULL);
    vkDestroyInstance(c->inst, NULL);
}

int main(int argc, char **argv)
{
    Ctx c = { .n = DEFAULT_N };
    uint32_t i, mismatches = 0, first_bad = 0, repeat = 0;
    int a;

    for (a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--any-device")) {
            any_device = true;
        } else if (!strcmp(argv[a], "--repeat") && a + 1 < argc &&
                   sscanf(argv[a + 1], "%" SCNu32, &repeat) == 1) {
            a++;
        } else if (sscanf(argv[a], "%" SCNu32, &c.n) != 1) {
            c.n = 0;
        }
    }
    if (c.n == 0 || c.n > (1u << 28)) {
        fprintf(stderr, "usage: %s [--any-device] [--repeat N] [ELEMENTS]\n",
                argv[0]);
        return 2;
    }
    c.bytes = (VkDeviceSize)c.n * sizeof(uint32_t);

    create_device(&c);
    create_buffers(&c);
    for (i = 0; i < c.n; i++) {
        c.map[0][i] = input_value(i);
    }
    /* Poison the output so that a dispatch that never ran cannot pass. */
    memset(c.map[1], 0xa5, c.bytes);
    create_pipeline(&c);
    run_shader(&c);

    for (i = 0; i < c.n; i++) {
        if (c.map[1][i] != expected_value(i)) {
            if (mismatches == 0) {
                first_bad = i;
            }
            mismatches++;
        }
    }
    if (mismatches) {
        printf("first mismatch: element %u: got 0x%08x, expected 0x%08x"
               " (input 0x%08x, input now 0x%08x)\n", first_bad,
               c.map[1][first_bad], expected_value(first_bad),
               input_value(first_bad), c.map[0][first_bad]);
    }
    printf("compute check: %s (%u mismatches of %u elements)\n",
           mismatches ? "FAIL" : "PASS", mismatches, c.n);
    if (!mismatches && repeat) {
        time_shader(&c, repeat);
    }
    destroy(&c);
    return mismatches ? 1 : 0;
}
