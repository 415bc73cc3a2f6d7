/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmp_wire.h: BMP constants (RFC 7854, RFC 8671, RFC 9069, IANA registries).
 */
#ifndef BF_BMP_WIRE_H
#define BF_BMP_WIRE_H

#define BMP_VERSION		3
#define BMP_COMMON_HDR_LEN	6	/* version 1, length 4, type 1 */
#define BMP_PEER_HDR_LEN	42
#define BMP_DEFAULT_MAX_MSG	(1024 * 1024)	/* configurable upper bound */

/* Message types */
#define BMP_ROUTE_MONITORING	0
#define BMP_STATISTICS_REPORT	1
#define BMP_PEER_DOWN		2
#define BMP_PEER_UP		3
#define BMP_INITIATION		4
#define BMP_TERMINATION		5
#define BMP_ROUTE_MIRRORING	6
#define BMP_TYPE_MAX		7
#define BMP_HUAWEI_ROUTE_POLICY	100	/* draft-xu-grow-bmp-route-policy-attr-trace */

/* Per-type minimum lengths, common header included */
#define BMP_PEER_MSG_MIN	(BMP_COMMON_HDR_LEN + BMP_PEER_HDR_LEN)
#define BMP_PEER_UP_MIN		(BMP_PEER_MSG_MIN + 20)	/* + addr 16, ports 4 */
#define BMP_PEER_DOWN_MIN	(BMP_PEER_MSG_MIN + 1)
#define BMP_STATS_MIN		(BMP_PEER_MSG_MIN + 4)

/* Peer types */
#define BMP_PEER_GLOBAL		0
#define BMP_PEER_RD		1
#define BMP_PEER_LOCAL		2
#define BMP_PEER_LOC_RIB	3

/* Per-peer header flags (RFC 7854 §4.2, RFC 8671, RFC 9069 §4.2) */
#define BMP_PEER_F_V		0x80	/* IPv6 peer address */
#define BMP_PEER_F_L		0x40	/* post-policy */
#define BMP_PEER_F_A		0x20	/* legacy 2-octet AS_PATH */
#define BMP_PEER_F_O		0x10	/* Adj-RIB-Out */
#define BMP_PEER_F_LOCRIB_F	0x80	/* Loc-RIB: filtered */

/* Initiation / Termination / Peer Up information TLV types */
#define BMP_INFO_STRING		0
#define BMP_INFO_SYSDESCR	1
#define BMP_INFO_SYSNAME	2
#define BMP_INFO_VRF_TABLE_NAME	3	/* RFC 9069 */
#define BMP_INFO_ADMIN_LABEL	4	/* RFC 8671 */
#define BMP_TERM_REASON		1	/* Termination: type 1 is the reason */

/* Peer Down reasons (RFC 7854 §4.9, RFC 9069 §5.4) */
#define BMP_PD_LOCAL_NOTIFY	1
#define BMP_PD_LOCAL_NO_NOTIFY	2
#define BMP_PD_REMOTE_NOTIFY	3
#define BMP_PD_REMOTE_NO_NOTIFY	4
#define BMP_PD_DECONFIGURED	5
#define BMP_PD_LOCRIB_CLOSED	6

/* Route Mirroring TLVs and information codes (RFC 7854 §4.7) */
#define BMP_MIRROR_BGP_MSG	0
#define BMP_MIRROR_INFO		1
#define BMP_MIRROR_ERRORED_PDU	0
#define BMP_MIRROR_LOST		1

#endif /* BF_BMP_WIRE_H */
