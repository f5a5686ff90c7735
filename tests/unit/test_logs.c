// SPDX-License-Identifier: GPL-2.0-only
/*
 * Get Log Page: Error Information (with parameter error locations),
 * SMART / Health counters fed by the I/O path, Firmware Slot, Changed
 * Namespace List, Commands Supported and Effects; offsets, lengths and
 * invalid requests.
 */
#include "guest.h"
#include "tap.h"

static void test_error_log(struct guest *g)
{
	struct vnvme_error_log *log = gmem(g, G_DATA);
	struct vnvme_sqe sqe;
	u16 cid;

	/* A bad CNS: the error names CDW10 (byte 40) */
	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	sqe.cdw10 = cpu_to_le32(0x55);
	sqe.prp1 = cpu_to_le64(G_DATA);
	cid = g->next_cid;
	guest_admin(g, &sqe, NULL);
	/* then a fused command: byte 1 */
	guest_sqe(&sqe, VNVME_ADM_GET_FEATURES);
	sqe.flags = 2;
	guest_admin(g, &sqe, NULL);
	/* then a bad Set Features SV: byte 43 bit 7 */
	guest_sqe(&sqe, VNVME_ADM_SET_FEATURES);
	sqe.cdw10 = cpu_to_le32(VNVME_FEAT_SV | 1);
	sqe.nsid = cpu_to_le32(1);
	guest_admin(g, &sqe, NULL);

	memset(log, 0xee, 64 * 64);
	is(guest_get_log(g, VNVME_LOG_ERROR, 0, 0, 64 * 64, false, G_DATA), 0,
	   "read the whole error log");
	is(le64_to_cpu(log[0].error_count), 3, "newest entry first");
	is(le16_to_cpu(log[0].param_loc), 43 | 7 << 8, "SV: byte 43 bit 7");
	is(le16_to_cpu(log[0].status) >> 1,
	   ERR(VNVME_SC_FEAT_NOT_SAVEABLE), "status recorded");
	is(le32_to_cpu(log[0].nsid), 1, "NSID recorded");
	is(le16_to_cpu(log[1].param_loc), 1, "fused: byte 1");
	is(le64_to_cpu(log[2].error_count), 1, "oldest entry last");
	is(le16_to_cpu(log[2].cid), cid, "CID recorded");
	is(le16_to_cpu(log[2].sqid), 0, "admin SQ");
	is(le16_to_cpu(log[2].param_loc), 40, "bad CNS: byte 40");
	ok((le16_to_cpu(log[2].status) & 1) == 1, "phase tag recorded");
	is(le64_to_cpu(log[3].error_count), 0, "unused entries zero");

	is(guest_get_log(g, VNVME_LOG_ERROR, 0, 64, 64, false, G_DATA), 0,
	   "read with an offset of one entry");
	is(le64_to_cpu(log[0].error_count), 2, "offset 64: second entry");
}

static void test_smart(struct guest *g)
{
	struct vnvme_smart_log *log = gmem(g, G_DATA);

	vnvme_stats_add(g->c, false, 3, 1000 * 512 + 1);
	vnvme_stats_add(g->c, true, 2, 512 * 1500);
	vnvme_stats_add(g->c, true, 1, 4096);
	memset(log, 0xee, 512);
	is(guest_get_log(g, VNVME_LOG_SMART, 0xffffffff, 0, 512, false,
			 G_DATA), 0, "SMART log for all namespaces");
	is(le64_to_cpu(log->host_reads[0]), 3, "host read commands");
	is(le64_to_cpu(log->host_writes[0]), 3, "host write commands");
	is(le64_to_cpu(log->data_units_read[0]), 1, "1000 units read -> 1");
	is(le64_to_cpu(log->data_units_written[0]), 2,
	   "1508 units written -> 2 (rounded up)");
	is(le64_to_cpu(log->data_units_read[1]), 0, "128-bit upper half 0");
	is(le16_to_cpu(log->temperature), 313, "temperature in Kelvin");
	is(log->avail_spare, 100, "available spare");
	is(log->critical_warning, 0, "no warning");
	is(le64_to_cpu(log->power_cycles[0]), 1, "power cycles");
	is(le64_to_cpu(log->num_err_log_entries[0]), 3, "error count");
	is(log->rsvd232[0], 0, "reserved area zero");
	is(guest_get_log(g, VNVME_LOG_SMART, 1, 0, 512, false, G_DATA), 0,
	   "SMART log for NSID 1");
	is(guest_get_log(g, VNVME_LOG_SMART, 2, 0, 512, false, G_DATA),
	   ERR(VNVME_SC_INVALID_NS), "SMART log for NSID 2 refused");
}

static void test_fw_effects_ns(struct guest *g)
{
	struct vnvme_fw_slot_log *fw = gmem(g, G_DATA);
	struct vnvme_effects_log *eff = gmem(g, G_DATA);
	__le32 *ns = gmem(g, G_DATA);

	is(guest_get_log(g, VNVME_LOG_FW_SLOT, 0, 0, 512, false, G_DATA), 0,
	   "firmware slot log");
	is(fw->afi, 1, "slot 1 active");
	ok(!memcmp(fw->frs[0], "1.0     ", 8), "slot 1 revision");

	is(guest_get_log(g, VNVME_LOG_CMD_EFFECTS, 0, 0, 4096, false, G_DATA),
	   0, "commands supported and effects");
	is(le32_to_cpu(eff->acs[VNVME_ADM_IDENTIFY]), 1, "Identify supported");
	is(le32_to_cpu(eff->acs[VNVME_ADM_DBBUF_CONFIG]), 1,
	   "Doorbell Buffer Config supported");
	is(le32_to_cpu(eff->acs[0x80]), 0, "Format NVM not supported");
	is(le32_to_cpu(eff->iocs[VNVME_CMD_WRITE]), 3, "Write: LBCC");
	is(le32_to_cpu(eff->iocs[VNVME_CMD_READ]), 1, "Read supported");
	is(le32_to_cpu(eff->iocs[VNVME_CMD_WRITE_ZEROES]), 3,
	   "Write Zeroes per ONCS");
	is(le32_to_cpu(eff->iocs[VNVME_CMD_COMPARE]), 0,
	   "Compare not in ONCS");

	is(guest_get_log(g, VNVME_LOG_CHANGED_NS, 0, 0, 4096, false, G_DATA),
	   0, "changed namespace list");
	is(le32_to_cpu(ns[0]), 0, "empty before any change");
	vnvme_set_nsze(g->c, 1ULL << 22);
	is(guest_get_log(g, VNVME_LOG_CHANGED_NS, 0, 0, 4096, true, G_DATA),
	   0, "read with RAE");
	is(le32_to_cpu(ns[0]), 1, "NSID 1 changed");
	is(guest_get_log(g, VNVME_LOG_CHANGED_NS, 0, 0, 4096, false, G_DATA),
	   0, "read without RAE");
	is(le32_to_cpu(ns[0]), 1, "still listed");
	guest_get_log(g, VNVME_LOG_CHANGED_NS, 0, 0, 4096, false, G_DATA);
	is(le32_to_cpu(ns[0]), 0, "cleared by the read without RAE");
	guest_identify(g, VNVME_CNS_NS, 1, G_DATA);
	is(le64_to_cpu(((struct vnvme_id_ns *)gmem(g, G_DATA))->nsze),
	   1ULL << 22, "new size in Identify Namespace");
}

static void test_window(struct guest *g)
{
	u8 *d = gmem(g, G_DATA);
	u8 *l = gmem(g, G_LIST);
	struct vnvme_sqe sqe;

	/* SMART log (512 B) read as 8 KiB + 4 at offset 8: zero-filled */
	memset(d, 0xee, 0x3000);
	guest_sqe(&sqe, VNVME_ADM_GET_LOG_PAGE);
	sqe.prp1 = cpu_to_le64(G_DATA + 0x800);
	sqe.prp2 = cpu_to_le64(G_LIST);
	((__le64 *)l)[0] = cpu_to_le64(G_DATA + 0x1000);
	((__le64 *)l)[1] = cpu_to_le64(G_DATA + 0x2000);
	sqe.cdw10 = cpu_to_le32(VNVME_LOG_SMART | ((0x2004 / 4 - 1) << 16));
	sqe.cdw12 = cpu_to_le32(8);
	is(guest_admin(g, &sqe, NULL), 0, "8 KiB read of the SMART log");
	is(d[0x800] | d[0x801] << 8, 0, "offset 8: starts in the counters");
	ok(d[0x800 + 0x18] == 1 || d[0x800 + 0x18] == 2,
	   "data units read at 32 - 8");
	ok(d[0x800 + 504] == 0 && d[0x1000] == 0 && d[0x27ff] == 0 &&
	   d[0x2803] == 0, "zeroes past the end of the log");
	is(d[0x2804], 0xee, "nothing past the transfer length");

	is(guest_get_log(g, VNVME_LOG_SMART, 0, 2, 512, false, G_DATA),
	   ERR(VNVME_SC_INVALID_FIELD), "LPO not dword aligned");
	is(guest_get_log(g, VNVME_LOG_SMART, 0, 516, 4, false, G_DATA),
	   ERR(VNVME_SC_INVALID_FIELD), "LPO beyond the log");
	is(guest_get_log(g, VNVME_LOG_SMART, 0, 1ULL << 32, 4, false, G_DATA),
	   ERR(VNVME_SC_INVALID_FIELD), "LPOU beyond the log");
	is(guest_get_log(g, VNVME_LOG_SMART, 0, 512, 4, false, G_DATA), 0,
	   "LPO at the end: zeroes");
	is(guest_get_log(g, VNVME_LOG_SMART, 0, 0, 256 << 10, false, G_DATA),
	   ERR(VNVME_SC_INVALID_FIELD), "256 KiB > MDTS (128 KiB)");
	is(guest_get_log(g, 0x06, 0, 0, 512, false, G_DATA),
	   ERR(VNVME_SC_INVALID_FIELD), "device self-test log unsupported");
	is(guest_get_log(g, 0xc0, 0, 0, 512, false, G_DATA),
	   ERR(VNVME_SC_INVALID_FIELD), "vendor log unsupported");
	is(guest_get_log(g, VNVME_LOG_SMART, 0, 0, 512, false, G_HOLE),
	   ERR(VNVME_SC_DATA_XFER_ERROR), "unmapped buffer");
}

int main(void)
{
	struct guest g;

	guest_init(&g, NULL);
	guest_enable(&g);
	test_error_log(&g);
	test_smart(&g);
	test_fw_effects_ns(&g);
	test_window(&g);
	guest_fini(&g);
	return tap_done();
}
