/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_syslog.h: the syslog sink: RFC 5424 messages over UDP, over TCP
 * framed by octet counting (RFC 6587 §3.4.1), or to a local datagram
 * socket (unix:/dev/log).
 */
#ifndef ALERT_SYSLOG_H
#define ALERT_SYSLOG_H

#include <stddef.h>

#include "alert_sink.h"

/* Check the target and note the host name.  0, or -1 with err. */
int	syslog_open(struct alert_sink *k, char *err, size_t errlen);
/*
 * Send one message (connecting first when not connected).  Taken once
 * written to the socket: syslog has no acknowledgement.
 */
enum sink_result syslog_send(struct alert_sink *k, const struct alert *a,
	    const char *text, char *why, size_t whylen);

#endif /* ALERT_SYSLOG_H */
