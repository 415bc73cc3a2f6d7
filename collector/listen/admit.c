/* SPDX-License-Identifier: Apache-2.0 */
/*
 * admit.c: source addresses and file descriptors of router sessions.
 */
#include "admit.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <sys/resource.h>

#include "core/log.h"

void
bf_admit_addr(const struct sockaddr_storage *sa, struct bf_addr *a)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	memset(a, 0, sizeof(*a));
	if (sa->ss_family == AF_INET) {
		a->family = BF_AF_INET;
		memcpy(a->a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->ss_family == AF_INET6) {
		const uint8_t *p = (const uint8_t *)
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (memcmp(p, v4mapped, 12) == 0) {
			a->family = BF_AF_INET;
			memcpy(a->a, p + 12, 4);
		} else {
			a->family = BF_AF_INET6;
			memcpy(a->a, p, 16);
		}
	}
}

bool
bf_admit_allowed(const struct bf_config *cfg, const struct bf_addr *a)
{
	if (cfg->n_allow == 0)
		return true;
	for (int i = 0; i < cfg->n_allow; i++)
		if (bf_prefix_contains(&cfg->allow[i], a))
			return true;
	return false;
}

bool
bf_admit_wildcard(const struct sockaddr_storage *sa)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (sa->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr == htonl(INADDR_ANY);
	return memcmp(&((const struct sockaddr_in6 *)(const void *)sa)->
	    sin6_addr, &any6, sizeof(any6)) == 0;
}

int
bf_admit_fd_limit(const struct bf_config *cfg)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return INT32_MAX;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT32_MAX)
		return INT32_MAX;
	/* The listeners, the log and stdio hold a few besides the reserve. */
	if ((rlim_t)cfg->max_sessions + BF_ADMIT_FD_RESERVE + 16 > rl.rlim_cur)
		bf_log(BF_LOG_WARN, "max-sessions %" PRIu32 " does not fit in "
		    "the file descriptor limit %llu (%d kept for Kafka and "
		    "/metrics): sessions are refused when descriptors run "
		    "short; raise LimitNOFILE (ulimit -n)", cfg->max_sessions,
		    (unsigned long long)rl.rlim_cur, BF_ADMIT_FD_RESERVE);
	return (int)rl.rlim_cur - BF_ADMIT_FD_RESERVE;
}

bool
bf_admit_fd_left(int fd_limit, const uv_tcp_t *t)
{
	uv_os_fd_t fd;

	return uv_fileno((const uv_handle_t *)t, &fd) != 0 || fd < fd_limit;
}
