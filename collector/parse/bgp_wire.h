/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bgp_wire.h: BGP-4 wire constants (RFC 4271 and extensions).
 */
#ifndef BF_BGP_WIRE_H
#define BF_BGP_WIRE_H

#define BGP_HDR_LEN		19	/* marker 16 + length 2 + type 1 */
#define BGP_MARKER_LEN		16
#define BGP_MAX_MSG_LEN		4096	/* RFC 4271 */
#define BGP_MAX_EXT_MSG_LEN	65535	/* RFC 8654 extended messages */
#define BGP_OPEN_MIN_LEN	29
#define BGP_UPDATE_MIN_LEN	23
#define BGP_NOTIFICATION_MIN_LEN 21

#define BGP_MSG_OPEN		1
#define BGP_MSG_UPDATE		2
#define BGP_MSG_NOTIFICATION	3
#define BGP_MSG_KEEPALIVE	4
#define BGP_MSG_ROUTE_REFRESH	5

/* Path attribute flags, RFC 4271 §4.3 */
#define BGP_ATTR_F_OPTIONAL	0x80
#define BGP_ATTR_F_TRANSITIVE	0x40
#define BGP_ATTR_F_PARTIAL	0x20
#define BGP_ATTR_F_EXTLEN	0x10

/* Path attribute type codes (IANA "BGP Path Attributes") */
#define BGP_ATTR_ORIGIN			1
#define BGP_ATTR_AS_PATH		2
#define BGP_ATTR_NEXT_HOP		3
#define BGP_ATTR_MED			4
#define BGP_ATTR_LOCAL_PREF		5
#define BGP_ATTR_ATOMIC_AGGREGATE	6
#define BGP_ATTR_AGGREGATOR		7
#define BGP_ATTR_COMMUNITIES		8
#define BGP_ATTR_ORIGINATOR_ID		9
#define BGP_ATTR_CLUSTER_LIST		10
#define BGP_ATTR_MP_REACH_NLRI		14
#define BGP_ATTR_MP_UNREACH_NLRI	15
#define BGP_ATTR_EXT_COMMUNITIES	16
#define BGP_ATTR_AS4_PATH		17
#define BGP_ATTR_AS4_AGGREGATOR		18
#define BGP_ATTR_IPV6_EXT_COMMUNITIES	25
#define BGP_ATTR_AIGP			26
#define BGP_ATTR_LARGE_COMMUNITIES	32
#define BGP_ATTR_OTC			35
#define BGP_ATTR_MAX			256

#define BGP_ORIGIN_IGP		0
#define BGP_ORIGIN_EGP		1
#define BGP_ORIGIN_INCOMPLETE	2

/* AS_PATH segment types, RFC 4271 and RFC 5065 */
#define BGP_ASPATH_SET		1
#define BGP_ASPATH_SEQUENCE	2
#define BGP_ASPATH_CONFED_SEQUENCE 3
#define BGP_ASPATH_CONFED_SET	4

#define BGP_AS_TRANS		23456	/* RFC 6793 */

/* AFI / SAFI (IANA) */
#define BGP_AFI_IPV4		1
#define BGP_AFI_IPV6		2
#define BGP_AFI_L2VPN		25
#define BGP_AFI_BGPLS		16388
#define BGP_SAFI_UNICAST	1
#define BGP_SAFI_MULTICAST	2
#define BGP_SAFI_LABELED	4
#define BGP_SAFI_EVPN		70
#define BGP_SAFI_VPN		128
#define BGP_SAFI_VPN_MULTICAST	129

/* OPEN optional parameters and capabilities */
#define BGP_OPT_PARAM_CAPABILITIES	2
#define BGP_OPT_PARAM_EXT_LENGTH	255	/* RFC 9072 */
#define BGP_CAP_MP			1	/* RFC 4760 */
#define BGP_CAP_ROUTE_REFRESH		2	/* RFC 2918 */
#define BGP_CAP_EXT_NEXTHOP		5	/* RFC 8950 */
#define BGP_CAP_EXT_MESSAGE		6	/* RFC 8654 */
#define BGP_CAP_ROLE			9	/* RFC 9234 */
#define BGP_CAP_GRACEFUL_RESTART	64	/* RFC 4724 */
#define BGP_CAP_AS4			65	/* RFC 6793 */
#define BGP_CAP_ADD_PATH		69	/* RFC 7911 */
#define BGP_CAP_ENHANCED_RR		70	/* RFC 7313 */
#define BGP_CAP_LLGR			71
#define BGP_CAP_FQDN			73	/* draft-walton-bgp-hostname */
#define BGP_CAP_ROUTE_REFRESH_OLD	128	/* pre-standard Cisco */

#define BGP_ADDPATH_RECEIVE	1
#define BGP_ADDPATH_SEND	2

/* RFC 9234 BGP roles */
#define BGP_ROLE_PROVIDER	0
#define BGP_ROLE_RS		1
#define BGP_ROLE_RS_CLIENT	2
#define BGP_ROLE_CUSTOMER	3
#define BGP_ROLE_PEER		4

/* MPLS label stack entry (RFC 3032) as carried in NLRI: 20-bit label, BoS bit */
#define BGP_LABEL_LEN		3
#define BGP_LABEL_BOS		0x01
#define BGP_RD_LEN		8

#endif /* BF_BGP_WIRE_H */
