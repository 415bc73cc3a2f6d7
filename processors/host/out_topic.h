/* SPDX-License-Identifier: Apache-2.0 */
/*
 * out_topic.h: the processor's output topic made at start, so that
 * nothing relies on the brokers' auto-create (which, where it is on,
 * gives the broker's default partitions, not bmp.route's).
 */
#ifndef BF_OUT_TOPIC_H
#define BF_OUT_TOPIC_H

#include "proc.h"

/*
 * With create-topics, p->out_topic is created when missing, with
 * output-partitions (0: as many as p->route_topic) and
 * output-replication-factor.  Returns 0 to run on (created, present, or
 * brokers that cannot create topics: librdkafka's mock cluster), or -1
 * said in the log: brokers that do not answer, a creation refused.
 */
int	proc_out_topic_ensure(struct proc *p);

#endif /* BF_OUT_TOPIC_H */
