/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session.h: one router's BMP session, private to collector/listen:
 * collector.c runs it, collector_metrics.c reports on it.
 */
#ifndef BF_SESSION_H
#define BF_SESSION_H

#include "collector.h"

struct bf_session {
	uv_tcp_t		 tcp;
	struct bf_collector	*col;
	struct bf_session	*prev, *next;
	struct bf_router	 router;
	struct bmp_stream	 stream;
	uint8_t			*buf;
	size_t			 cap, used;
	uint64_t		 consumed;	/* stream offset of buf[0] */
	uint64_t		 peer_limit_counted;	/* in the metric */
	int64_t			 read_us;	/* when the last read arrived */
	uint64_t		 opened_ms;	/* loop time: accept or resume */
	uint64_t		 last_read_ms;	/* loop time: read or resume */
	bool			 reading;
	bool			 over_budget;	/* max-buffer-mbytes refused it */
	bool			 closing;
	bool			 stream_ok;
	bool			 invalid_utf8_logged;
};

#endif /* BF_SESSION_H */
