/* SPDX-License-Identifier: Apache-2.0 */
/*
 * admit.h: who may open a router session: source addresses against the
 * allow list, and file descriptors against the process limit (at the
 * limit the kernel refuses accepts and libuv drops them without a word,
 * so sessions stop BF_ADMIT_FD_RESERVE short of it, refused and logged).
 */
#ifndef BF_ADMIT_H
#define BF_ADMIT_H

#include <stdbool.h>
#include <sys/socket.h>

#include <uv.h>

#include "../common/config.h"
#include "core/metrics_http.h"

/* Descriptors kept for Kafka, /metrics clients and logs. */
#define BF_ADMIT_FD_RESERVE	(BF_METRICS_MAX_CONNS + 48)

/* A peer's socket address → a bf_addr (IPv4-mapped IPv6 as IPv4). */
void	bf_admit_addr(const struct sockaddr_storage *sa, struct bf_addr *a);
/* Whether the allow list (empty: anyone) lets a connect. */
bool	bf_admit_allowed(const struct bf_config *cfg,
	    const struct bf_addr *a);
/* Whether sa is the any-address (0.0.0.0, ::). */
bool	bf_admit_wildcard(const struct sockaddr_storage *sa);
/*
 * Raise the descriptor soft limit to the hard one; the lowest descriptor
 * a session may not hold (a warning when max-sessions does not fit).
 */
int	bf_admit_fd_limit(const struct bf_config *cfg);
/* Whether an accepted socket's descriptor is below fd_limit. */
bool	bf_admit_fd_left(int fd_limit, const uv_tcp_t *t);

#endif /* BF_ADMIT_H */
