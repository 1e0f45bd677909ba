/*
 * The compute kernel of vgxl-vkcompute: out[i] = in[i] * 3 + 7, with
 * uint32 wrap-around, which the program checks for every element.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#version 450

layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint n;
} params;

layout(std430, set = 0, binding = 0) readonly buffer In {
    uint data[];
} src;

layout(std430, set = 0, binding = 1) writeonly buffer Out {
    uint data[];
} dst;

void main()
{
    uint i = gl_GlobalInvocationID.x;

    /* The last workgroup may run past n: those invocations do nothing. */
    if (i < params.n) {
        dst.data[i] = src.data[i] * 3u + 7u;
    }
}
