/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Code → name tables for BMP (IANA "BGP Monitoring Protocol Parameters").
 * Lookups are bounds-checked; unknown codes get a generic name.
 */
#include <stddef.h>

#include "bmp_parse.h"
#include "bmp_wire.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const msg_types[] = {
	"route_monitoring", "stats", "peer_down", "peer_up", "initiation",
	"termination", "route_mirroring",
};

static const char *const peer_types[] = {
	"global", "rd_instance", "local_instance", "loc_rib",
};

static const char *const stat_names[] = {
	[0] = "prefixes_rejected_by_inbound_policy",
	[1] = "duplicate_prefix_advertisements",
	[2] = "duplicate_withdraws",
	[3] = "updates_invalidated_cluster_list_loop",
	[4] = "updates_invalidated_as_path_loop",
	[5] = "updates_invalidated_originator_id",
	[6] = "updates_invalidated_as_confed_loop",
	[7] = "routes_adj_rib_in",
	[8] = "routes_loc_rib",
	[9] = "routes_adj_rib_in_per_afi_safi",
	[10] = "routes_loc_rib_per_afi_safi",
	[11] = "updates_treat_as_withdraw",
	[12] = "prefixes_treat_as_withdraw",
	[13] = "duplicate_update_messages",
	[14] = "routes_pre_policy_adj_rib_out",
	[15] = "routes_post_policy_adj_rib_out",
	[16] = "routes_pre_policy_adj_rib_out_per_afi_safi",
	[17] = "routes_post_policy_adj_rib_out_per_afi_safi",
	[18] = "routes_pre_policy_adj_rib_in",
	[19] = "routes_pre_policy_adj_rib_in_per_afi_safi",
	[20] = "routes_post_policy_adj_rib_in",
	[21] = "routes_post_policy_adj_rib_in_per_afi_safi",
	[22] = "routes_pre_policy_adj_rib_in_rejected_per_afi_safi",
	[23] = "routes_post_policy_adj_rib_in_accepted_per_afi_safi",
	[24] = "routes_loc_rib_best_path_per_afi_safi",
	[25] = "routes_loc_rib_non_best_path_per_afi_safi",
	[26] = "routes_suppressed_by_damping_per_afi_safi",
	[27] = "routes_stale_graceful_restart_per_afi_safi",
	[28] = "routes_stale_llgr_per_afi_safi",
	[29] = "routes_left_before_threshold",
	[30] = "routes_left_before_threshold_per_afi_safi",
	[31] = "routes_left_before_license_threshold",
	[32] = "routes_left_before_license_threshold_per_afi_safi",
};

static const char *const pd_reasons[] = {
	[0] = "reserved",
	[1] = "local_notification",
	[2] = "local_no_notification",
	[3] = "remote_notification",
	[4] = "remote_no_notification",
	[5] = "peer_deconfigured",
	[6] = "local_system_closed",
};

const char *
bmp_type_name(uint8_t type)
{
	if (type < NELEM(msg_types))
		return msg_types[type];
	return "unknown";
}

const char *
bmp_peer_type_name(uint8_t type)
{
	if (type < NELEM(peer_types))
		return peer_types[type];
	return "unknown";
}

const char *
bmp_rib_name(enum bmp_rib rib)
{
	switch (rib) {
	case BMP_RIB_ADJ_IN:
		return "adj_rib_in";
	case BMP_RIB_ADJ_OUT:
		return "adj_rib_out";
	case BMP_RIB_LOC:
		return "loc_rib";
	}
	return "unknown";
}

const char *
bmp_stat_name(uint16_t type)
{
	if (type < NELEM(stat_names) && stat_names[type] != NULL)
		return stat_names[type];
	if (type >= 65531 && type <= 65534)
		return "experimental";
	return "unknown";
}

const char *
bmp_peer_down_reason_name(uint8_t reason)
{
	if (reason < NELEM(pd_reasons))
		return pd_reasons[reason];
	return "unknown";
}

const char *
bmp_info_tlv_name(uint8_t msg_type, uint16_t type)
{
	if (msg_type == BMP_TERMINATION)
		return type == 0 ? "string" : type == 1 ? "reason" : "unknown";
	switch (type) {
	case BMP_INFO_STRING:
		return "string";
	case BMP_INFO_SYSDESCR:
		return "sysDescr";
	case BMP_INFO_SYSNAME:
		return "sysName";
	case BMP_INFO_VRF_TABLE_NAME:
		return "vrf_table_name";
	case BMP_INFO_ADMIN_LABEL:
		return "admin_label";
	default:
		return "unknown";
	}
}
