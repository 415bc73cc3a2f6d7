/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prefix_health.h: what the prefix-health plugin exposes besides its
 * descriptor, for tests and benchmarks that link its source directly.
 */
#ifndef BMPFLOW_PREFIX_HEALTH_H
#define BMPFLOW_PREFIX_HEALTH_H

#include <stddef.h>
#include <stdint.h>

/*
 * Memory held by a plugin state (as returned by the descriptor's init),
 * counted by the plugin's own allocator wrappers: every table, route
 * array, interned AS path and prefix record, at its allocated capacity,
 * excluding the C library's per-block overhead.
 */
size_t	ph_mem_bytes(const void *state);

/* (peer, prefix[, path id]) routes currently announced. */
size_t	ph_routes_held(const void *state);

/* ph_mem_bytes / ph_routes_held, or 0 when no route is held. */
double	ph_bytes_per_route(const void *state);

/* Size of one route slot, the per-(peer, prefix) part of the state. */
size_t	ph_route_slot_bytes(void);

#endif /* BMPFLOW_PREFIX_HEALTH_H */
