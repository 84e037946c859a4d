// SPDX-License-Identifier: GPL-2.0

//! SCSI Primary Commands emulation of target_core_mod (LIO's `target_core_spc.c`): the
//! device and port descriptions the emulation reads, `spc_parse_cdb()`, INQUIRY with its
//! VPD pages, MODE SENSE/SELECT, REQUEST SENSE, REPORT LUNS, REPORT SUPPORTED OPERATION
//! CODES. Pure `core` code: every response is written into the caller's data-in buffer
//! (zeroed first; what does not fit is dropped, as LIO's `memcpy(rbuf, buf,
//! min(len, cmd->data_length))`), and the full response length is returned: the length
//! LIO passes to `target_complete_cmd_with_length()` (see `CmdDataLength` in `sbc.rs`).

use super::cdb::{
    or_u8, put_bytes, put_u8, put_unaligned_be16, put_unaligned_be32, put_unaligned_be64,
    ModeSelectCdb, ModeSenseCdb, RsocCdb, ScsiCdb, COMPARE_AND_WRITE, EXTENDED_COPY, INQUIRY,
    MAINTENANCE_IN, MAINTENANCE_OUT, MI_REPORT_SUPPORTED_OPERATION_CODES, MI_REPORT_TARGET_PGS,
    MODE_SELECT, MODE_SELECT_10, MODE_SENSE, MODE_SENSE_10, MO_SET_TARGET_PGS,
    PERSISTENT_RESERVE_IN, PERSISTENT_RESERVE_OUT, PRI_READ_FULL_STATUS, PRI_READ_KEYS,
    PRI_READ_RESERVATION, PRI_REPORT_CAPABILITIES, PRO_CLEAR, PRO_PREEMPT, PRO_PREEMPT_AND_ABORT,
    PRO_REGISTER, PRO_REGISTER_AND_IGNORE_EXISTING_KEY, PRO_REGISTER_AND_MOVE, PRO_RELEASE,
    PRO_REPLACE_LOST_RESERVATION, PRO_RESERVE, RCR_SA_OPERATING_PARAMETERS, READ_10, READ_12,
    READ_16, READ_6, READ_CAPACITY, RECEIVE_COPY_RESULTS, RELEASE, RELEASE_10, REPORT_LUNS,
    REQUEST_SENSE, RESERVE, RESERVE_10, SAI_READ_CAPACITY_16, SAI_REPORT_REFERRALS,
    SERVICE_ACTION_IN_16, START_STOP, SYNCHRONIZE_CACHE, SYNCHRONIZE_CACHE_16, TEST_UNIT_READY,
    UNMAP, VARIABLE_LENGTH_CMD, VERIFY, VERIFY_16, WRITE_10, WRITE_12, WRITE_16, WRITE_6,
    WRITE_SAME, WRITE_SAME_16, WRITE_SAME_32, WRITE_VERIFY, WRITE_VERIFY_16,
};
use super::sbc::{ExecCmdOps, ParsedCdb};
use super::sense::{scsi_build_sense_buffer, SenseReason, UnitAttention, NO_SENSE, UNIT_ATTENTION};

/// `TYPE_DISK`: peripheral device type of the SBC backends (fileio, iblock, rd_mcp).
pub(crate) const TYPE_DISK: u8 = 0x00;
/// `TYPE_TAPE`.
pub(crate) const TYPE_TAPE: u8 = 0x01;
/// `TYPE_ROM`.
pub(crate) const TYPE_ROM: u8 = 0x05;

/// `SE_INQUIRY_BUF`: LIO builds INQUIRY responses in a buffer of this size.
pub(crate) const SE_INQUIRY_BUF: usize = 1024;
/// `SE_MODE_PAGE_BUF`: LIO builds MODE SENSE responses in a buffer of this size.
pub(crate) const SE_MODE_PAGE_BUF: usize = 512;
/// `INQUIRY_VENDOR_LEN`.
pub(crate) const INQUIRY_VENDOR_LEN: usize = 8;
/// `INQUIRY_MODEL_LEN`.
pub(crate) const INQUIRY_MODEL_LEN: usize = 16;
/// `INQUIRY_REVISION_LEN`.
pub(crate) const INQUIRY_REVISION_LEN: usize = 4;
/// `INQUIRY_VPD_SERIAL_LEN`: `t10_wwn.unit_serial` holds at most this minus the NUL.
pub(crate) const INQUIRY_VPD_SERIAL_LEN: usize = 254;
/// `PAGE_SIZE` of the target (x86_64), for the fabric's `max_data_sg_nents` limit.
pub(crate) const PAGE_SIZE: u32 = 4096;

// PROTOCOL IDENTIFIERs (`enum scsi_protocol`), `tpg->proto_id`.
/// Fibre Channel.
pub(crate) const SCSI_PROTOCOL_FCP: u8 = 0;
/// IEEE 1394.
pub(crate) const SCSI_PROTOCOL_SBP: u8 = 3;
/// SRP (InfiniBand).
pub(crate) const SCSI_PROTOCOL_SRP: u8 = 4;
/// iSCSI.
pub(crate) const SCSI_PROTOCOL_ISCSI: u8 = 5;
/// SAS (tcm_loop, vhost-scsi, xen-scsiback, usb_gadget).
pub(crate) const SCSI_PROTOCOL_SAS: u8 = 6;

// VERSION DESCRIPTORs (`enum scsi_version_descriptor`).
/// SAM-5.
pub(crate) const SCSI_VERSION_DESCRIPTOR_SAM5: u16 = 0x00a0;
/// SPC-4.
pub(crate) const SCSI_VERSION_DESCRIPTOR_SPC4: u16 = 0x0460;
/// SBC-3.
pub(crate) const SCSI_VERSION_DESCRIPTOR_SBC3: u16 = 0x04c0;
/// FCP-4.
pub(crate) const SCSI_VERSION_DESCRIPTOR_FCP4: u16 = 0x0a40;
/// iSCSI.
pub(crate) const SCSI_VERSION_DESCRIPTOR_ISCSI: u16 = 0x0960;
/// SAS-3.
pub(crate) const SCSI_VERSION_DESCRIPTOR_SAS3: u16 = 0x0c60;
/// SBP-3.
pub(crate) const SCSI_VERSION_DESCRIPTOR_SBP3: u16 = 0x0980;
/// SRP.
pub(crate) const SCSI_VERSION_DESCRIPTOR_SRP: u16 = 0x0940;

/// `TPGS_IMPLICIT_ALUA`: `tg_pt_gp_alua_access_type` bit, INQUIRY TPGS 01b.
pub(crate) const TPGS_IMPLICIT_ALUA: u8 = 0x10;
/// `TPGS_EXPLICIT_ALUA`: `tg_pt_gp_alua_access_type` bit, INQUIRY TPGS 10b.
pub(crate) const TPGS_EXPLICIT_ALUA: u8 = 0x20;

/// `TARGET_UA_INTLCK_CTRL_CLEAR` (`emulate_ua_intlck_ctrl` 0).
pub(crate) const TARGET_UA_INTLCK_CTRL_CLEAR: u8 = 0;
/// `TARGET_UA_INTLCK_CTRL_NO_CLEAR` (1).
pub(crate) const TARGET_UA_INTLCK_CTRL_NO_CLEAR: u8 = 1;
/// `TARGET_UA_INTLCK_CTRL_ESTABLISH_UA` (2).
pub(crate) const TARGET_UA_INTLCK_CTRL_ESTABLISH_UA: u8 = 2;

// `enum target_prot_op` bits of a session's `sup_prot_ops`.
/// `TARGET_PROT_DIN_INSERT`.
pub(crate) const TARGET_PROT_DIN_INSERT: u8 = 1 << 0;
/// `TARGET_PROT_DOUT_INSERT`.
pub(crate) const TARGET_PROT_DOUT_INSERT: u8 = 1 << 1;
/// `TARGET_PROT_DIN_STRIP`.
pub(crate) const TARGET_PROT_DIN_STRIP: u8 = 1 << 2;
/// `TARGET_PROT_DOUT_STRIP`.
pub(crate) const TARGET_PROT_DOUT_STRIP: u8 = 1 << 3;
/// `TARGET_PROT_DIN_PASS`.
pub(crate) const TARGET_PROT_DIN_PASS: u8 = 1 << 4;
/// `TARGET_PROT_DOUT_PASS`.
pub(crate) const TARGET_PROT_DOUT_PASS: u8 = 1 << 5;

// `enum target_prot_type`.
/// `TARGET_DIF_TYPE0_PROT`: no protection.
pub(crate) const TARGET_DIF_TYPE0_PROT: u8 = 0;
/// `TARGET_DIF_TYPE1_PROT`.
pub(crate) const TARGET_DIF_TYPE1_PROT: u8 = 1;
/// `TARGET_DIF_TYPE2_PROT`.
pub(crate) const TARGET_DIF_TYPE2_PROT: u8 = 2;
/// `TARGET_DIF_TYPE3_PROT`.
pub(crate) const TARGET_DIF_TYPE3_PROT: u8 = 3;

/// `t10_alua.lba_map_*`: the referrals segment geometry of a device with an LBA map.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LbaMap {
    /// `lba_map_segment_size`.
    pub(crate) segment_size: u32,
    /// `lba_map_segment_multiplier`.
    pub(crate) segment_multiplier: u32,
}

/// What the SCSI emulation reads of a `struct se_device`: its `t10_wwn`, its
/// `se_dev_attrib` and the answers of its backend's hooks. Field names are LIO's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DeviceInfo<'a> {
    /// `t10_wwn.vendor` (INQUIRY VENDOR IDENTIFICATION, up to 8 bytes; a NUL ends it).
    pub(crate) vendor: &'a [u8],
    /// `t10_wwn.model` (PRODUCT IDENTIFICATION, up to 16 bytes).
    pub(crate) model: &'a [u8],
    /// `t10_wwn.revision` (PRODUCT REVISION LEVEL, up to 4 bytes).
    pub(crate) revision: &'a [u8],
    /// `t10_wwn.unit_serial` when `DF_EMULATED_VPD_UNIT_SERIAL` is set (a serial was
    /// written to `wwn/vpd_unit_serial`); without one LIO lists no VPD pages and builds no
    /// NAA designator.
    pub(crate) unit_serial: Option<&'a [u8]>,
    /// `t10_wwn.company_id` (IEEE OUI of the NAA designator, default 0x001405).
    pub(crate) company_id: u32,
    /// `transport->get_device_type()`.
    pub(crate) device_type: u8,
    /// `transport->get_blocks()`: the LAST logical block address (blocks - 1).
    pub(crate) last_lba: u64,
    /// `dev_attrib.block_size`.
    pub(crate) block_size: u32,
    /// `dev_attrib.hw_block_size`.
    pub(crate) hw_block_size: u32,
    /// `dev_attrib.hw_max_sectors` (page aligned, see [`se_dev_align_max_sectors`]).
    pub(crate) hw_max_sectors: u32,
    /// `dev_attrib.optimal_sectors`.
    pub(crate) optimal_sectors: u32,
    /// `dev_attrib.emulate_write_cache`.
    pub(crate) emulate_write_cache: bool,
    /// `dev_attrib.emulate_fua_write`.
    pub(crate) emulate_fua_write: bool,
    /// `dev_attrib.emulate_ua_intlck_ctrl` (`TARGET_UA_INTLCK_CTRL_*`).
    pub(crate) emulate_ua_intlck_ctrl: u8,
    /// `dev_attrib.emulate_tas`.
    pub(crate) emulate_tas: bool,
    /// `dev_attrib.emulate_tpu` (UNMAP).
    pub(crate) emulate_tpu: bool,
    /// `dev_attrib.emulate_tpws` (WRITE SAME with UNMAP).
    pub(crate) emulate_tpws: bool,
    /// `dev_attrib.emulate_caw` (COMPARE AND WRITE).
    pub(crate) emulate_caw: bool,
    /// `dev_attrib.emulate_3pc` (EXTENDED COPY).
    pub(crate) emulate_3pc: bool,
    /// `dev_attrib.emulate_pr` (RESERVE/RELEASE, PERSISTENT RESERVE IN/OUT).
    pub(crate) emulate_pr: bool,
    /// `dev_attrib.emulate_rsoc` (REPORT SUPPORTED OPERATION CODES).
    pub(crate) emulate_rsoc: bool,
    /// `dev_attrib.emulate_rest_reord` (control mode page QAM 0).
    pub(crate) emulate_rest_reord: bool,
    /// `dev_attrib.is_nonrot` (VPD B1h MEDIUM ROTATION RATE 1).
    pub(crate) is_nonrot: bool,
    /// `dev_attrib.unmap_zeroes_data` (LBPRZ).
    pub(crate) unmap_zeroes_data: bool,
    /// `dev_attrib.max_unmap_lba_count`.
    pub(crate) max_unmap_lba_count: u32,
    /// `dev_attrib.max_unmap_block_desc_count`.
    pub(crate) max_unmap_block_desc_count: u32,
    /// `dev_attrib.unmap_granularity`.
    pub(crate) unmap_granularity: u32,
    /// `dev_attrib.unmap_granularity_alignment`.
    pub(crate) unmap_granularity_alignment: u32,
    /// `dev_attrib.max_write_same_len`.
    pub(crate) max_write_same_len: u32,
    /// `dev_attrib.pi_prot_type` (`TARGET_DIF_TYPE*_PROT`).
    pub(crate) pi_prot_type: u8,
    /// `dev->prot_length`: bytes of protection information per block (8 with PI).
    pub(crate) prot_length: u32,
    /// `transport->get_write_cache()`, for backends that have it (iblock).
    pub(crate) get_write_cache: Option<bool>,
    /// `transport->get_io_min()` in bytes (0: none).
    pub(crate) io_min: u32,
    /// `transport->get_io_opt()` in bytes (0: none).
    pub(crate) io_opt: u32,
    /// `transport->get_lbppbe()`: logical blocks per physical block exponent.
    pub(crate) lbppbe: u8,
    /// `transport->get_alignment_offset_lbas()`: lowest aligned LBA.
    pub(crate) alignment_offset_lbas: u16,
    /// `dev->export_count`: LUNs exporting the device (MULTIP when more than one).
    pub(crate) export_count: u32,
    /// `TRANSPORT_FLAG_PASSTHROUGH_PGR` (reservations handled by the backend).
    pub(crate) passthrough_pgr: bool,
    /// The device's LBA map (`t10_alua.lba_map_list` not empty).
    pub(crate) lba_map: Option<LbaMap>,
    /// `dev_alua_lu_gp_mem->lu_gp->lu_gp_id` (LU group designator), if a member.
    pub(crate) lu_gp_id: Option<u16>,
}

impl<'a> DeviceInfo<'a> {
    /// A device with LIO's defaults (`target_alloc_device()`, `DA_*`): disk, company id
    /// 0x001405, emulate_caw/3pc/pr/rsoc/tas/fua_write on, the rest off; no serial.
    /// `hw_max_sectors`/`optimal_sectors` are the backend's (rd_mcp: `UINT_MAX` aligned by
    /// [`se_dev_align_max_sectors`]).
    pub(crate) const fn new(
        vendor: &'a [u8],
        model: &'a [u8],
        revision: &'a [u8],
        block_size: u32,
        last_lba: u64,
        hw_max_sectors: u32,
    ) -> Self {
        Self {
            vendor,
            model,
            revision,
            unit_serial: None,
            company_id: 0x001405,
            device_type: TYPE_DISK,
            last_lba,
            block_size,
            hw_block_size: block_size,
            hw_max_sectors,
            optimal_sectors: hw_max_sectors,
            emulate_write_cache: false,
            emulate_fua_write: true,
            emulate_ua_intlck_ctrl: TARGET_UA_INTLCK_CTRL_CLEAR,
            emulate_tas: true,
            emulate_tpu: false,
            emulate_tpws: false,
            emulate_caw: true,
            emulate_3pc: true,
            emulate_pr: true,
            emulate_rsoc: true,
            emulate_rest_reord: false,
            is_nonrot: false,
            unmap_zeroes_data: false,
            max_unmap_lba_count: 0,
            max_unmap_block_desc_count: 0,
            unmap_granularity: 0,
            unmap_granularity_alignment: 0,
            max_write_same_len: 0,
            pi_prot_type: TARGET_DIF_TYPE0_PROT,
            prot_length: 0,
            get_write_cache: None,
            io_min: 0,
            io_opt: 0,
            lbppbe: 0,
            alignment_offset_lbas: 0,
            export_count: 1,
            passthrough_pgr: false,
            lba_map: None,
            lu_gp_id: None,
        }
    }

    /// `target_check_wce()`: the backend's write cache state, else `emulate_write_cache`.
    pub(crate) fn target_check_wce(&self) -> bool {
        match self.get_write_cache {
            Some(wce) => wce,
            None => self.emulate_write_cache,
        }
    }

    /// `target_check_fua()`: FUA (and DPO) are advertised only with WCE and
    /// `emulate_fua_write`.
    pub(crate) fn target_check_fua(&self) -> bool {
        self.target_check_wce() && self.emulate_fua_write
    }

    /// `target_sense_desc_format()`: descriptor-format sense when the last LBA needs more
    /// than 32 bits.
    pub(crate) fn target_sense_desc_format(&self) -> bool {
        self.last_lba > u64::from(u32::MAX)
    }

    /// The number of logical blocks (`get_blocks() + 1`; saturating).
    pub(crate) fn num_blocks(&self) -> u64 {
        self.last_lba.saturating_add(1)
    }
}

/// `se_dev_align_max_sectors()`: `max_sectors` rounded down to a whole number of pages.
pub(crate) fn se_dev_align_max_sectors(max_sectors: u32, block_size: u32) -> u32 {
    let alignment = (PAGE_SIZE.checked_div(block_size).unwrap_or(0)).max(1);
    max_sectors - max_sectors % alignment
}

/// `ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED`.
pub(crate) const ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED: u8 = 0x0;
/// `ALUA_ACCESS_STATE_ACTIVE_NON_OPTIMIZED`.
pub(crate) const ALUA_ACCESS_STATE_ACTIVE_NON_OPTIMIZED: u8 = 0x1;
/// `ALUA_ACCESS_STATE_STANDBY`.
pub(crate) const ALUA_ACCESS_STATE_STANDBY: u8 = 0x2;
/// `ALUA_ACCESS_STATE_UNAVAILABLE`.
pub(crate) const ALUA_ACCESS_STATE_UNAVAILABLE: u8 = 0x3;
/// `ALUA_ACCESS_STATE_LBA_DEPENDENT`.
pub(crate) const ALUA_ACCESS_STATE_LBA_DEPENDENT: u8 = 0x4;
/// `ALUA_ACCESS_STATE_OFFLINE`.
pub(crate) const ALUA_ACCESS_STATE_OFFLINE: u8 = 0xe;
/// `ALUA_ACCESS_STATE_TRANSITION`.
pub(crate) const ALUA_ACCESS_STATE_TRANSITION: u8 = 0xf;
/// `ALUA_T_SUP`: transitioning supported.
pub(crate) const ALUA_T_SUP: u8 = 0x80;
/// `ALUA_O_SUP`: offline supported.
pub(crate) const ALUA_O_SUP: u8 = 0x40;
/// `ALUA_LBD_SUP`: LBA dependent supported.
pub(crate) const ALUA_LBD_SUP: u8 = 0x10;
/// `ALUA_U_SUP`: unavailable supported.
pub(crate) const ALUA_U_SUP: u8 = 0x08;
/// `ALUA_S_SUP`: standby supported.
pub(crate) const ALUA_S_SUP: u8 = 0x04;
/// `ALUA_AN_SUP`: active/non-optimized supported.
pub(crate) const ALUA_AN_SUP: u8 = 0x02;
/// `ALUA_AO_SUP`: active/optimized supported.
pub(crate) const ALUA_AO_SUP: u8 = 0x01;
/// `ALUA_STATUS_NONE`.
pub(crate) const ALUA_STATUS_NONE: u8 = 0x00;
/// `ALUA_DEFAULT_IMPLICIT_TRANS_SECS`.
pub(crate) const ALUA_DEFAULT_IMPLICIT_TRANS_SECS: u8 = 0;

/// The LUN's target port group (`lun->lun_tg_pt_gp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TgPtGp {
    /// `tg_pt_gp_id`.
    pub(crate) tg_pt_gp_id: u16,
    /// `tg_pt_gp_alua_access_type`: [`TPGS_IMPLICIT_ALUA`] | [`TPGS_EXPLICIT_ALUA`].
    pub(crate) alua_access_type: u8,
    /// `tg_pt_gp_alua_access_state` (`ALUA_ACCESS_STATE_*`).
    pub(crate) alua_access_state: u8,
    /// `tg_pt_gp_alua_supported_states` (`ALUA_*_SUP` bits).
    pub(crate) alua_supported_states: u8,
    /// `tg_pt_gp_alua_access_status` (`ALUA_STATUS_*`).
    pub(crate) alua_access_status: u8,
    /// `tg_pt_gp_pref`: the PREF bit of REPORT TARGET PORT GROUPS.
    pub(crate) pref: bool,
    /// `tg_pt_gp_implicit_trans_secs` (at most 255, as LIO's configfs allows).
    pub(crate) implicit_trans_secs: u8,
}

impl TgPtGp {
    /// `default_tg_pt_gp` as `core_alua_allocate_tg_pt_gp()` makes it: ID 0, implicit and
    /// explicit ALUA, Active/Optimized, every state but LBA dependent supported, status
    /// none, not preferred, implicit transition time 0.
    pub(crate) const DEFAULT: Self = Self {
        tg_pt_gp_id: 0,
        alua_access_type: TPGS_IMPLICIT_ALUA | TPGS_EXPLICIT_ALUA,
        alua_access_state: ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED,
        alua_supported_states: ALUA_T_SUP
            | ALUA_O_SUP
            | ALUA_U_SUP
            | ALUA_S_SUP
            | ALUA_AN_SUP
            | ALUA_AO_SUP,
        alua_access_status: ALUA_STATUS_NONE,
        pref: false,
        implicit_trans_secs: ALUA_DEFAULT_IMPLICIT_TRANS_SECS,
    };
}

/// What the SCSI emulation reads of the path a command came in on: the LUN, its TPG
/// (`struct se_portal_group` and the fabric's answers) and the session.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PortInfo<'a> {
    /// `tpg->proto_id` (`SCSI_PROTOCOL_*`).
    pub(crate) proto_id: u8,
    /// `tpg->tpg_rtpi`: RELATIVE TARGET PORT IDENTIFIER.
    pub(crate) tpg_rtpi: u16,
    /// `tpg_get_tag()`: the TPG tag (tpgt).
    pub(crate) tpgt: u16,
    /// `tpg_get_wwn()`: the target port name (iSCSI IQN, `naa.` WWN, ...).
    pub(crate) tpg_wwn: &'a [u8],
    /// `lun->lun_tg_pt_gp`.
    pub(crate) tg_pt_gp: Option<TgPtGp>,
    /// `lun->lun_access_ro || target_lun_is_rdonly()`: the LUN is write protected.
    pub(crate) lun_access_ro: bool,
    /// `se_tfo->max_data_sg_nents` (0: no limit).
    pub(crate) max_data_sg_nents: u32,
    /// `se_sess->sup_prot_ops` (`TARGET_PROT_*` bits).
    pub(crate) sup_prot_ops: u8,
    /// `se_sess->sess_prot_type`.
    pub(crate) sess_prot_type: u8,
}

impl PortInfo<'_> {
    /// The session passes protection information through (`DIN_PASS | DOUT_PASS`).
    pub(crate) fn prot_pass(&self) -> bool {
        self.sup_prot_ops & (TARGET_PROT_DIN_PASS | TARGET_PROT_DOUT_PASS) != 0
    }
}

/// Which of LIO's `execute_cmd` handlers runs a parsed command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExecuteCmd {
    /// `sbc_execute_rw()`: the backend's `execute_rw` on `[lba, lba + sectors)`.
    ExecuteRw,
    /// `sbc_compare_and_write()`: read, compare ([`super::sbc::sbc_compare`]), write.
    CompareAndWrite,
    /// The backend's `execute_sync_cache`.
    ExecuteSyncCache,
    /// `sbc_emulate_noop()`: GOOD.
    EmulateNoop,
    /// VERIFY with BYTCHK 01b/11b: read and compare with [`super::sbc::sbc_verify_compare`]
    /// (lio-rs; LIO treats every VERIFY as a no-op).
    Verify {
        /// BYTCHK: 1 or 3.
        bytchk: u8,
    },
    /// The backend's `execute_write_same`.
    ExecuteWriteSame,
    /// `sbc_execute_write_same_unmap()`: the backend's `execute_unmap` on the range.
    ExecuteWriteSameUnmap,
    /// `sbc_execute_unmap()`: [`super::sbc::sbc_execute_unmap`] over the parameter list.
    ExecuteUnmap,
    /// `sbc_emulate_readcapacity()`.
    EmulateReadCapacity,
    /// `sbc_emulate_readcapacity_16()`.
    EmulateReadCapacity16,
    /// `target_emulate_report_referrals()`.
    EmulateReportReferrals,
    /// `sbc_emulate_startstop()`.
    EmulateStartStop,
    /// `spc_emulate_modeselect()`.
    EmulateModeSelect,
    /// `spc_emulate_modesense()`.
    EmulateModeSense,
    /// `target_scsi3_emulate_pr_in()`.
    EmulatePrIn,
    /// `target_scsi3_emulate_pr_out()`.
    EmulatePrOut,
    /// `target_scsi2_reservation_reserve()`.
    Scsi2ReservationReserve,
    /// `target_scsi2_reservation_release()`.
    Scsi2ReservationRelease,
    /// `spc_emulate_request_sense()`.
    EmulateRequestSense,
    /// `spc_emulate_inquiry()`.
    EmulateInquiry,
    /// `target_do_xcopy()`.
    DoXcopy,
    /// `target_do_receive_copy_results()`.
    DoReceiveCopyResults,
    /// `spc_emulate_report_luns()`.
    EmulateReportLuns,
    /// `spc_emulate_testunitready()`.
    EmulateTestUnitReady,
    /// `target_emulate_report_target_port_groups()`.
    EmulateReportTargetPortGroups,
    /// `spc_emulate_report_supp_op_codes()`.
    EmulateReportSuppOpCodes,
    /// `target_emulate_set_target_port_groups()`.
    EmulateSetTargetPortGroups,
}

/// `spc_parse_cdb()`: the SPC commands of an emulated device, after `sbc_parse_cdb()`
/// found no SBC command. The returned size is still to be checked with
/// `CmdDataLength::target_cmd_size_check()`.
pub(crate) fn spc_parse_cdb(dev: &DeviceInfo<'_>, cdb: &ScsiCdb) -> Result<ParsedCdb, SenseReason> {
    use ExecuteCmd as E;
    use ScsiCdb as C;
    let reservation_refused = match cdb {
        C::Reserve { .. } | C::Release { .. } => !dev.emulate_pr || dev.passthrough_pgr,
        C::PersistentReserveIn { .. } | C::PersistentReserveOut { .. } => !dev.emulate_pr,
        _ => false,
    };
    if reservation_refused {
        return Err(SenseReason::UnsupportedScsiOpcode);
    }
    let (execute, size) = match *cdb {
        C::ModeSelect(ms) => (E::EmulateModeSelect, Some(u32::from(ms.param_len))),
        C::ModeSense(ms) => (E::EmulateModeSense, Some(u32::from(ms.alloc_len))),
        C::PersistentReserveIn { alloc_len, .. } => (E::EmulatePrIn, Some(u32::from(alloc_len))),
        C::PersistentReserveOut { param_len, .. } => (E::EmulatePrOut, Some(param_len)),
        C::Release { param_len } => (E::Scsi2ReservationRelease, param_len.map(u32::from)),
        C::Reserve { param_len } => (E::Scsi2ReservationReserve, param_len.map(u32::from)),
        C::RequestSense { alloc_len, .. } => (E::EmulateRequestSense, Some(u32::from(alloc_len))),
        C::Inquiry { alloc_len, .. } => {
            let mut parsed = ParsedCdb::new(*cdb, E::EmulateInquiry, Some(u32::from(alloc_len)));
            parsed.head_of_queue = true;
            return Ok(parsed);
        }
        C::ExtendedCopy { param_len, .. } => (E::DoXcopy, Some(param_len)),
        C::ReceiveCopyResults { alloc_len, .. } => (E::DoReceiveCopyResults, Some(alloc_len)),
        C::ReportLuns { alloc_len, .. } => {
            let mut parsed = ParsedCdb::new(*cdb, E::EmulateReportLuns, Some(alloc_len));
            parsed.head_of_queue = true;
            return Ok(parsed);
        }
        C::TestUnitReady => (E::EmulateTestUnitReady, Some(0)),
        // MAINTENANCE IN/OUT of CD/DVD devices are MMC commands without a handler.
        C::ReportTargetPortGroups { alloc_len, .. } if dev.device_type != TYPE_ROM => {
            (E::EmulateReportTargetPortGroups, Some(alloc_len))
        }
        C::ReportSupportedOpcodes(rsoc) if dev.device_type != TYPE_ROM => {
            (E::EmulateReportSuppOpCodes, Some(rsoc.alloc_len))
        }
        C::SetTargetPortGroups { param_len } if dev.device_type != TYPE_ROM => {
            (E::EmulateSetTargetPortGroups, Some(param_len))
        }
        _ => return Err(SenseReason::UnsupportedScsiOpcode),
    };
    Ok(ParsedCdb::new(*cdb, execute, size))
}

/// The bytes of a C string field: up to the first NUL, at most `max` (`strnlen`).
fn c_str(s: &[u8], max: usize) -> &[u8] {
    let s = s.get(..max).unwrap_or(s);
    match s.iter().position(|&b| b == 0) {
        Some(n) => s.get(..n).unwrap_or(s),
        None => s,
    }
}

/// Zeroes a response buffer (LIO's `kzalloc`ed / zeroed data-in pages).
fn zero(buf: &mut [u8]) {
    buf.fill(0);
}

/// `spc_find_scsi_transport_vd()`: the transport's VERSION DESCRIPTOR (0 if unknown).
pub(crate) fn spc_find_scsi_transport_vd(proto_id: u8) -> u16 {
    match proto_id {
        SCSI_PROTOCOL_FCP => SCSI_VERSION_DESCRIPTOR_FCP4,
        SCSI_PROTOCOL_ISCSI => SCSI_VERSION_DESCRIPTOR_ISCSI,
        SCSI_PROTOCOL_SAS => SCSI_VERSION_DESCRIPTOR_SAS3,
        SCSI_PROTOCOL_SBP => SCSI_VERSION_DESCRIPTOR_SBP3,
        SCSI_PROTOCOL_SRP => SCSI_VERSION_DESCRIPTOR_SRP,
        _ => 0,
    }
}

/// `spc_emulate_inquiry_std()`: standard INQUIRY data from byte 1 on (byte 0, the
/// peripheral device type, is [`spc_emulate_inquiry`]'s). Returns 96.
pub(crate) fn spc_emulate_inquiry_std(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    buf: &mut [u8],
) -> usize {
    if dev.device_type == TYPE_TAPE {
        put_u8(buf, 1, 0x80); // RMB
    }
    put_u8(buf, 2, 0x06); // SPC-4
    put_u8(buf, 3, 2); // RESPONSE DATA FORMAT 2, NORMACA = HISUP = 0
                       // spc_fill_alua_data(): SCCS, TPGS.
    put_u8(buf, 5, 0x80);
    if let Some(gp) = port.tg_pt_gp {
        or_u8(buf, 5, gp.alua_access_type);
    }
    if dev.emulate_3pc {
        or_u8(buf, 5, 0x08); // 3PC
    }
    if port.prot_pass() && (dev.pi_prot_type != 0 || port.sess_prot_type != 0) {
        or_u8(buf, 5, 0x01); // PROTECT
    }
    if dev.export_count > 1 {
        or_u8(buf, 6, 0x10); // MULTIP
    }
    put_u8(buf, 7, 0x02); // CMDQUE
    put_bytes(
        buf,
        8,
        &[b' '; INQUIRY_VENDOR_LEN + INQUIRY_MODEL_LEN + INQUIRY_REVISION_LEN],
    );
    put_bytes(buf, 8, c_str(dev.vendor, INQUIRY_VENDOR_LEN));
    put_bytes(buf, 16, c_str(dev.model, INQUIRY_MODEL_LEN));
    put_bytes(buf, 32, c_str(dev.revision, INQUIRY_REVISION_LEN));
    put_unaligned_be16(buf, 58, SCSI_VERSION_DESCRIPTOR_SAM5);
    put_unaligned_be16(buf, 60, spc_find_scsi_transport_vd(port.proto_id));
    put_unaligned_be16(buf, 62, SCSI_VERSION_DESCRIPTOR_SPC4);
    if dev.device_type == TYPE_DISK {
        put_unaligned_be16(buf, 64, SCSI_VERSION_DESCRIPTOR_SBC3);
    }
    put_u8(buf, 4, 91); // ADDITIONAL LENGTH
    96
}

/// The unit serial LIO holds (`unit_serial[INQUIRY_VPD_SERIAL_LEN]`, NUL terminated).
fn unit_serial<'a>(dev: &DeviceInfo<'a>) -> Option<&'a [u8]> {
    dev.unit_serial
        .map(|s| c_str(s, INQUIRY_VPD_SERIAL_LEN - 1))
}

/// `hex_to_bin()`.
fn hex_to_bin(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `spc_gen_naa_6h_vendor_specific()`: the NAA IEEE Registered Extended designator,
/// `6h`, the 24-bit company id, then 25 hex digits taken from the unit serial (non-hex
/// characters skipped). Also what EXTENDED COPY matches target descriptors against.
pub(crate) fn spc_gen_naa_6h_vendor_specific(company_id: u32, unit_serial: &[u8]) -> [u8; 16] {
    let mut naa = [0u8; 16];
    let head = [
        0x60 | ((company_id >> 20) & 0xf) as u8,
        ((company_id >> 12) & 0xff) as u8,
        ((company_id >> 4) & 0xff) as u8,
        ((company_id & 0xf) << 4) as u8,
    ];
    put_bytes(&mut naa, 0, &head);
    let mut off = 3;
    let mut next = true;
    for val in c_str(unit_serial, usize::MAX)
        .iter()
        .filter_map(|&c| hex_to_bin(c))
    {
        if off >= 16 {
            break;
        }
        if next {
            next = false;
            or_u8(&mut naa, off, val);
            off += 1;
        } else {
            next = true;
            put_u8(&mut naa, off, val << 4);
        }
    }
    naa
}

/// The device's NAA designator (`spc_gen_naa_6h_vendor_specific(dev, buf)`), from its
/// unit serial (empty without one), as EXTENDED COPY matches CSCD descriptors against.
pub(crate) fn dev_naa(dev: &DeviceInfo<'_>) -> [u8; 16] {
    spc_gen_naa_6h_vendor_specific(dev.company_id, unit_serial(dev).unwrap_or(&[]))
}

/// `spc_emulate_evpd_80()`: UNIT SERIAL NUMBER (the serial and its NUL). Returns the page
/// length.
fn spc_emulate_evpd_80(dev: &DeviceInfo<'_>, buf: &mut [u8]) -> usize {
    match unit_serial(dev) {
        Some(serial) => {
            let len = serial.len() + 1;
            put_bytes(buf, 4, serial);
            put_u8(buf, 3, len as u8);
            len
        }
        None => 0,
    }
}

/// Writes a NUL-terminated, NUL-padded SCSI NAME STRING made of `parts` at `off`, as
/// `spc_emulate_evpd_83()` does: length with the NUL, rounded up to 4, at most 256.
/// Returns the designator length.
fn put_scsi_name(buf: &mut [u8], off: usize, parts: &[&[u8]]) -> usize {
    let text_len: usize = parts.iter().map(|p| p.len()).sum();
    let len = ((text_len + 1 + 3) & !3).min(256);
    let mut pos = 0;
    for part in parts {
        let room = len.saturating_sub(pos);
        let part = part.get(..room).unwrap_or(part);
        put_bytes(buf, off + pos, part);
        pos += part.len();
    }
    len
}

/// `%04x` of a 16-bit value.
fn hex4(v: u16) -> [u8; 4] {
    let digit = |n: u16| {
        b"0123456789abcdef"
            .get(usize::from(n & 0xf))
            .copied()
            .unwrap_or(b'0')
    };
    [digit(v >> 12), digit(v >> 8), digit(v >> 4), digit(v)]
}

/// `spc_emulate_evpd_83()`: DEVICE IDENTIFICATION, designators in LIO's order: NAA
/// (with a serial), T10 vendor id `vendor` + `model:serial`, relative target port, target
/// port group (with a `tg_pt_gp`), LU group (with an `lu_gp`), SCSI name string of the
/// target port `<wwn>,t,0x<tpgt>` and of the target device `<wwn>`. Returns the page
/// length.
pub(crate) fn spc_emulate_evpd_83(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    buf: &mut [u8],
) -> usize {
    let proto = port.proto_id << 4;
    let mut off = 4;
    let mut len = 0;
    let serial = unit_serial(dev);
    if let Some(serial) = serial {
        // NAA IEEE Registered Extended, binary, LU association.
        put_bytes(buf, off, &[0x01, 0x03, 0x00, 0x10]);
        put_bytes(
            buf,
            off + 4,
            &spc_gen_naa_6h_vendor_specific(dev.company_id, serial),
        );
        len = 20;
        off = len + 4;
    }
    // T10 vendor identification, ASCII: vendor padded to 8, then "model:serial" + NUL.
    let mut id_len = INQUIRY_VENDOR_LEN;
    if let Some(serial) = serial {
        let model = c_str(dev.model, INQUIRY_MODEL_LEN);
        put_bytes(buf, off + 12, model);
        put_u8(buf, off + 12 + model.len(), b':');
        put_bytes(buf, off + 13 + model.len(), serial);
        id_len += model.len() + 1 + serial.len();
    }
    put_bytes(buf, off, &[0x02, 0x01, 0x00]);
    put_bytes(buf, off + 4, &[b' '; INQUIRY_VENDOR_LEN]);
    put_bytes(buf, off + 4, c_str(dev.vendor, INQUIRY_VENDOR_LEN));
    id_len += 1;
    put_u8(buf, off + 3, id_len as u8);
    len += id_len + 4;
    off += id_len + 4;
    // Relative target port identifier: PIV, target port association.
    put_bytes(buf, off, &[proto | 0x01, 0x80 | 0x10 | 0x04, 0, 4]);
    put_unaligned_be16(buf, off + 6, port.tpg_rtpi);
    off += 8;
    len += 8;
    // Target port group.
    if let Some(gp) = port.tg_pt_gp {
        put_bytes(buf, off, &[proto | 0x01, 0x80 | 0x10 | 0x05, 0, 4]);
        put_unaligned_be16(buf, off + 6, gp.tg_pt_gp_id);
        off += 8;
        len += 8;
    }
    // Logical unit group: binary, LU association, no PIV.
    if let Some(lu_gp_id) = dev.lu_gp_id {
        put_bytes(buf, off, &[0x01, 0x06, 0, 4]);
        put_unaligned_be16(buf, off + 6, lu_gp_id);
        off += 8;
        len += 8;
    }
    // SCSI name string of the target port, UTF-8.
    let wwn = c_str(port.tpg_wwn, usize::MAX);
    put_bytes(buf, off, &[proto | 0x03, 0x80 | 0x10 | 0x08, 0]);
    off += 4;
    let name_len = put_scsi_name(buf, off, &[wwn, b",t,0x", &hex4(port.tpgt)]);
    // LIO stores the clamped length in one byte.
    put_u8(buf, off - 1, name_len as u8);
    off += name_len;
    len += name_len + 4;
    // SCSI name string of the target device.
    put_bytes(buf, off, &[proto | 0x03, 0x80 | 0x20 | 0x08, 0]);
    off += 4;
    let target_len = put_scsi_name(buf, off, &[wwn]);
    put_u8(buf, off - 1, target_len as u8);
    len += target_len + 4;
    put_unaligned_be16(buf, 2, len as u16);
    usize::from(len as u16)
}

/// `spc_emulate_evpd_86()`: EXTENDED INQUIRY DATA.
fn spc_emulate_evpd_86(dev: &DeviceInfo<'_>, port: &PortInfo<'_>, buf: &mut [u8]) -> usize {
    put_u8(buf, 3, 0x3c);
    if port.prot_pass() {
        if dev.pi_prot_type == TARGET_DIF_TYPE1_PROT || port.sess_prot_type == TARGET_DIF_TYPE1_PROT
        {
            put_u8(buf, 4, 0x05); // GRD_CHK, REF_CHK
        } else if dev.pi_prot_type == TARGET_DIF_TYPE3_PROT
            || port.sess_prot_type == TARGET_DIF_TYPE3_PROT
        {
            put_u8(buf, 4, 0x04); // GRD_CHK
        }
        if dev.device_type == TYPE_DISK && (dev.pi_prot_type != 0 || port.sess_prot_type != 0) {
            or_u8(buf, 4, 0x3 << 3); // SPT: types 1 and 3
        }
    }
    put_u8(buf, 5, 0x07); // HEADSUP, ORDSUP, SIMPSUP
    if dev.target_check_wce() {
        put_u8(buf, 6, 0x01); // V_SUP
    }
    if dev.lba_map.is_some() {
        put_u8(buf, 8, 0x10); // R_SUP
    }
    0x3c
}

/// `mult_frac()` in `u32`, wrapping as the C macro does.
fn mult_frac(x: u32, n: u32, d: u32) -> u32 {
    let (Some(quot), Some(rem)) = (x.checked_div(d), x.checked_rem(d)) else {
        return 0;
    };
    quot.wrapping_mul(n)
        .wrapping_add(rem.wrapping_mul(n).checked_div(d).unwrap_or(0))
}

/// `spc_emulate_evpd_b0()`: BLOCK LIMITS.
fn spc_emulate_evpd_b0(dev: &DeviceInfo<'_>, port: &PortInfo<'_>, buf: &mut [u8]) -> usize {
    let have_tp = dev.emulate_tpu || dev.emulate_tpws;
    let bs = dev.block_size;
    put_u8(buf, 0, dev.device_type);
    let page_len = if have_tp { 0x3c } else { 0x10 };
    put_u8(buf, 3, page_len);
    put_u8(buf, 4, 0x01); // WSNZ
    if dev.emulate_caw {
        put_u8(buf, 5, 0x01); // MAXIMUM COMPARE AND WRITE LENGTH
    }
    // OPTIMAL TRANSFER LENGTH GRANULARITY.
    let granularity = match dev.io_min {
        0 => 1,
        min => min.checked_div(bs).unwrap_or(0) as u16,
    };
    put_unaligned_be16(buf, 6, granularity);
    // MAXIMUM TRANSFER LENGTH: min_not_zero(fabric SGL limit, hw_max_sectors).
    let mtl = (u64::from(port.max_data_sg_nents) * u64::from(PAGE_SIZE))
        .checked_div(u64::from(bs))
        .unwrap_or(0) as u32;
    let io_max_blocks = mult_frac(dev.hw_max_sectors, dev.hw_block_size, bs);
    let max_xfer = match (mtl, io_max_blocks) {
        (0, b) => b,
        (m, 0) => m,
        (m, b) => m.min(b),
    };
    put_unaligned_be32(buf, 8, max_xfer);
    // OPTIMAL TRANSFER LENGTH.
    let opt = match dev.io_opt {
        0 => dev.optimal_sectors,
        opt => opt.checked_div(bs).unwrap_or(0),
    };
    put_unaligned_be32(buf, 12, opt);
    if have_tp {
        put_unaligned_be32(buf, 20, dev.max_unmap_lba_count);
        put_unaligned_be32(buf, 24, dev.max_unmap_block_desc_count);
        put_unaligned_be32(buf, 28, dev.unmap_granularity);
        put_unaligned_be32(buf, 32, dev.unmap_granularity_alignment);
        if dev.unmap_granularity_alignment != 0 {
            or_u8(buf, 32, 0x80); // UGAVALID
        }
    }
    // MAXIMUM WRITE SAME LENGTH (past the page end without thin provisioning, as in LIO).
    put_unaligned_be64(buf, 36, u64::from(dev.max_write_same_len));
    usize::from(page_len)
}

/// `spc_emulate_evpd_b1()`: BLOCK DEVICE CHARACTERISTICS.
fn spc_emulate_evpd_b1(dev: &DeviceInfo<'_>, buf: &mut [u8]) -> usize {
    put_u8(buf, 0, dev.device_type);
    put_u8(buf, 3, 0x3c);
    put_u8(buf, 5, u8::from(dev.is_nonrot)); // MEDIUM ROTATION RATE 1: non-rotating
    0x3c
}

/// `spc_emulate_evpd_b2()`: LOGICAL BLOCK PROVISIONING (DP = 0, page length 4).
fn spc_emulate_evpd_b2(dev: &DeviceInfo<'_>, buf: &mut [u8]) -> usize {
    put_u8(buf, 0, dev.device_type);
    put_unaligned_be16(buf, 2, 0x0004);
    put_u8(buf, 4, 0x00); // THRESHOLD EXPONENT
    if dev.emulate_tpu {
        put_u8(buf, 5, 0x80); // LBPU
    }
    if dev.emulate_tpws {
        or_u8(buf, 5, 0x40 | 0x20); // LBPWS, LBPWS10
    }
    if (dev.emulate_tpu || dev.emulate_tpws) && dev.unmap_zeroes_data {
        or_u8(buf, 5, 0x04); // LBPRZ
    }
    4
}

/// `spc_emulate_evpd_b3()`: REFERRALS.
fn spc_emulate_evpd_b3(dev: &DeviceInfo<'_>, buf: &mut [u8]) -> usize {
    let map = dev.lba_map.unwrap_or_default();
    put_u8(buf, 0, dev.device_type);
    put_u8(buf, 3, 0x0c);
    put_unaligned_be32(buf, 8, map.segment_size);
    put_unaligned_be32(buf, 12, map.segment_multiplier);
    0x0c
}

/// `evpd_handlers[]`: the VPD pages LIO emulates, in its order.
pub(crate) const EVPD_PAGES: [u8; 8] = [0x00, 0x80, 0x83, 0x86, 0xb0, 0xb1, 0xb2, 0xb3];

/// `spc_emulate_evpd_00()`: SUPPORTED VPD PAGES, only with a unit serial.
fn spc_emulate_evpd_00(dev: &DeviceInfo<'_>, buf: &mut [u8]) -> usize {
    if unit_serial(dev).is_none() {
        return 0;
    }
    put_u8(buf, 3, EVPD_PAGES.len() as u8);
    put_bytes(buf, 4, &EVPD_PAGES);
    EVPD_PAGES.len()
}

/// `spc_emulate_inquiry()`: standard data (EVPD = 0; a PAGE CODE then is
/// `TCM_INVALID_CDB_FIELD`) or one of [`EVPD_PAGES`] (others: `TCM_INVALID_CDB_FIELD`).
/// Returns the response length (96 for standard data, page length + 4 for VPD).
pub(crate) fn spc_emulate_inquiry(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    evpd: bool,
    page_code: u8,
    buf: &mut [u8],
) -> Result<usize, SenseReason> {
    zero(buf);
    put_u8(buf, 0, dev.device_type);
    if !evpd {
        if page_code != 0 {
            return Err(SenseReason::InvalidCdbField);
        }
        return Ok(spc_emulate_inquiry_std(dev, port, buf));
    }
    if !EVPD_PAGES.contains(&page_code) {
        return Err(SenseReason::InvalidCdbField);
    }
    put_u8(buf, 1, page_code);
    let page_len = match page_code {
        0x00 => spc_emulate_evpd_00(dev, buf),
        0x80 => spc_emulate_evpd_80(dev, buf),
        0x83 => spc_emulate_evpd_83(dev, port, buf),
        0x86 => spc_emulate_evpd_86(dev, port, buf),
        0xb0 => spc_emulate_evpd_b0(dev, port, buf),
        0xb1 => spc_emulate_evpd_b1(dev, buf),
        0xb2 => spc_emulate_evpd_b2(dev, buf),
        _ => spc_emulate_evpd_b3(dev, buf),
    };
    Ok(page_len + 4)
}

/// `modesense_handlers[]`: the mode pages LIO emulates (all subpage 0), in its order.
pub(crate) const MODE_PAGES: [u8; 4] = [0x01, 0x08, 0x0a, 0x1c];

/// The length of one of [`MODE_PAGES`].
fn modesense_page_len(page: u8) -> Option<usize> {
    match page {
        0x01 | 0x0a | 0x1c => Some(12),
        0x08 => Some(20),
        _ => None,
    }
}

/// One mode page at `p[off..]` (`spc_modesense_rwrecovery()`, `_caching()`, `_control()`,
/// `_informational_exceptions()`): PC = 1 (changeable) gives the header only. Returns the
/// page's length, or `None` for a page LIO does not have.
fn spc_modesense_page(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    page: u8,
    pc: u8,
    p: &mut [u8],
    off: usize,
) -> Option<usize> {
    let len = modesense_page_len(page)?;
    put_u8(p, off, page);
    put_u8(p, off + 1, (len - 2) as u8);
    if pc == 1 {
        return Some(len);
    }
    match page {
        0x08 => {
            if dev.target_check_wce() {
                put_u8(p, off + 2, 0x04); // WCE
            }
            put_u8(p, off + 12, 0x20); // DRA
        }
        0x0a => {
            let mut b2 = 1 << 1; // GLTSD
            if dev.target_sense_desc_format() {
                b2 |= 1 << 2; // D_SENSE
            }
            put_u8(p, off + 2, b2);
            // QUEUE ALGORITHM MODIFIER: 1 unrestricted, 0 restricted reordering.
            put_u8(p, off + 3, if dev.emulate_rest_reord { 0x00 } else { 0x10 });
            let ua_intlck = match dev.emulate_ua_intlck_ctrl {
                TARGET_UA_INTLCK_CTRL_ESTABLISH_UA => 0x30,
                TARGET_UA_INTLCK_CTRL_NO_CLEAR => 0x20,
                _ => 0x00,
            };
            put_u8(p, off + 4, ua_intlck);
            let mut b5 = if dev.emulate_tas { 0x40 } else { 0x00 }; // TAS
            if port.prot_pass() && (dev.pi_prot_type != 0 || port.sess_prot_type != 0) {
                b5 |= 0x80; // ATO
            }
            put_u8(p, off + 5, b5);
            put_unaligned_be16(p, off + 8, 0xffff); // BUSY TIMEOUT PERIOD
            put_u8(p, off + 11, 30); // EXTENDED SELF-TEST COMPLETION TIME
        }
        _ => {}
    }
    Some(len)
}

/// `spc_emulate_modesense()`: MODE SENSE (6/10). Header with WP (read-only LUN) and
/// DPOFUA (disk with FUA), a block descriptor for disks unless DBD (short, with the
/// number of blocks capped at 0xffffffff and — as LIO — the LAST LBA in it; long with
/// LLBAA and more than 32 bits), then the page(s): 3Fh with subpage 00h/FFh is every page
/// (MODE SENSE (6) stops before 255 bytes), other subpages `TCM_INVALID_CDB_FIELD`, unknown
/// pages `TCM_UNKNOWN_MODE_PAGE`. Returns the response length.
pub(crate) fn spc_emulate_modesense(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    cdb: &ModeSenseCdb,
    buf: &mut [u8],
) -> Result<usize, SenseReason> {
    zero(buf);
    let ten = cdb.ten;
    let disk = dev.device_type == TYPE_DISK;
    let mut length = if ten { 3 } else { 2 };
    // DEVICE-SPECIFIC PARAMETER.
    if port.lun_access_ro {
        or_u8(buf, length, 0x80); // WP
    }
    if dev.target_check_fua() && disk {
        or_u8(buf, length, 0x10); // DPOFUA
    }
    length += 1;
    if !cdb.dbd && disk {
        let blocks = dev.last_lba;
        let bs = dev.block_size;
        if ten && cdb.llbaa && blocks > u64::from(u32::MAX) {
            // spc_modesense_long_blockdesc(): LONGLBA, BLOCK DESCRIPTOR LENGTH 16. LIO counts
            // 17 bytes for the 20 it writes (its pages then overwrite the BLOCK LENGTH);
            // lio-rs counts 20.
            put_u8(buf, length, 0x01);
            put_u8(buf, length + 3, 16);
            put_unaligned_be64(buf, length + 4, blocks);
            put_unaligned_be32(buf, length + 16, bs);
            length += 20;
        } else {
            if ten {
                length += 3;
            }
            // spc_modesense_blockdesc(): BLOCK DESCRIPTOR LENGTH 8, blocks, block length.
            put_u8(buf, length, 8);
            put_unaligned_be32(buf, length + 1, blocks.min(u64::from(u32::MAX)) as u32);
            put_unaligned_be32(buf, length + 5, bs);
            length += 9;
        }
    } else {
        length += if ten { 4 } else { 1 };
    }
    if cdb.page == 0x3f {
        if cdb.subpage != 0x00 && cdb.subpage != 0xff {
            return Err(SenseReason::InvalidCdbField);
        }
        for page in MODE_PAGES {
            let page_len = modesense_page_len(page).unwrap_or(0);
            if !ten && length + page_len >= 255 {
                break;
            }
            length += spc_modesense_page(dev, port, page, cdb.pc, buf, length).unwrap_or(0);
        }
    } else if cdb.subpage == 0 && MODE_PAGES.contains(&cdb.page) {
        length += spc_modesense_page(dev, port, cdb.page, cdb.pc, buf, length).unwrap_or(0);
    } else {
        return Err(SenseReason::UnknownModePage);
    }
    if ten {
        put_unaligned_be16(buf, 0, (length - 2) as u16);
    } else {
        put_u8(buf, 0, (length - 1) as u8);
    }
    Ok(length)
}

/// `spc_emulate_modeselect()`: LIO accepts a mode page only as it is: an empty parameter
/// list is GOOD; shorter than the header + 2 is `TCM_PARAMETER_LIST_LENGTH_ERROR`; PF = 0
/// is `TCM_INVALID_CDB_FIELD`; the page is read right after the 4/8-byte header (LIO
/// ignores the BLOCK DESCRIPTOR LENGTH), an unknown one is `TCM_UNKNOWN_MODE_PAGE`, a
/// short one `TCM_PARAMETER_LIST_LENGTH_ERROR`, one that differs from the current page
/// `TCM_INVALID_PARAMETER_LIST`. `param` is the data-out buffer (`cmd->data_length`).
pub(crate) fn spc_emulate_modeselect(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    cdb: &ModeSelectCdb,
    param: &[u8],
) -> Result<(), SenseReason> {
    if param.is_empty() {
        return Ok(());
    }
    let off = if cdb.ten { 8 } else { 4 };
    if param.len() < off + 2 {
        return Err(SenseReason::ParameterListLengthError);
    }
    if !cdb.pf {
        return Err(SenseReason::InvalidCdbField);
    }
    let b0 = param.get(off).copied().unwrap_or(0);
    let page = b0 & 0x3f;
    let subpage = if b0 & 0x40 != 0 {
        param.get(off + 1).copied().unwrap_or(0)
    } else {
        0
    };
    if subpage != 0 || !MODE_PAGES.contains(&page) {
        return Err(SenseReason::UnknownModePage);
    }
    let mut tbuf = [0u8; 20];
    let length = spc_modesense_page(dev, port, page, 0, &mut tbuf, 0).unwrap_or(0);
    let given = param
        .get(off..off + length)
        .ok_or(SenseReason::ParameterListLengthError)?;
    if Some(given) != tbuf.get(..length) {
        return Err(SenseReason::InvalidParameterList);
    }
    Ok(())
}

/// `spc_emulate_request_sense()`: DESC = 1 is `TCM_INVALID_CDB_FIELD`; else the pending
/// unit attention (`core_scsi3_ua_clear_for_request_sense()`: the caller dequeues it and
/// clears the rest) or NO SENSE, in the device's sense format. LIO completes without a
/// length: the response is the allocation length (zero padded), which is returned.
pub(crate) fn spc_emulate_request_sense(
    dev: &DeviceInfo<'_>,
    desc: bool,
    alloc_len: u8,
    ua: Option<UnitAttention>,
    buf: &mut [u8],
) -> Result<usize, SenseReason> {
    if desc {
        return Err(SenseReason::InvalidCdbField);
    }
    zero(buf);
    let desc_format = dev.target_sense_desc_format();
    match ua {
        Some(ua) => scsi_build_sense_buffer(desc_format, buf, UNIT_ATTENTION, ua.asc, ua.ascq),
        None => scsi_build_sense_buffer(desc_format, buf, NO_SENSE, 0, 0),
    }
    Ok(usize::from(alloc_len))
}

/// `int_to_scsilun()`: a LUN in the SAM 8-byte format, two bytes per level.
pub(crate) fn int_to_scsilun(lun: u64) -> [u8; 8] {
    let mut out = [0u8; 8];
    let mut lun = lun;
    for pair in out.chunks_exact_mut(2) {
        put_bytes(pair, 0, &[(lun >> 8) as u8, lun as u8]);
        lun >>= 16;
    }
    out
}

/// `scsilun_to_int()`: the inverse of [`int_to_scsilun`].
pub(crate) fn scsilun_to_int(scsilun: &[u8; 8]) -> u64 {
    scsilun
        .chunks_exact(2)
        .enumerate()
        .fold(0u64, |lun, (i, pair)| {
            let level = pair.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b));
            lun | (level << (16 * i))
        })
}

/// `spc_emulate_report_luns()`: the LUN LIST LENGTH header and the mapped LUNs of the
/// session's ACL in `luns` (none: LUN 0, as LIO reports for an empty map or a command
/// without session). Returns 8 + 8 per LUN.
pub(crate) fn spc_emulate_report_luns(luns: &[u64], buf: &mut [u8]) -> usize {
    zero(buf);
    let mut off = 8;
    for &lun in luns {
        put_bytes(buf, off, &int_to_scsilun(lun));
        off += 8;
    }
    let count = luns.len().max(1);
    if luns.is_empty() {
        put_bytes(buf, 8, &int_to_scsilun(0));
    }
    put_unaligned_be32(buf, 0, (count as u32).wrapping_mul(8));
    count.saturating_mul(8).saturating_add(8)
}

/// `core_alua_check_transition()` of an explicit (SET TARGET PORT GROUPS) transition to
/// `state` with the group's supported states `valid`: whether the state is primary, or
/// INVALID FIELD IN PARAMETER LIST for a state not supported (transitioning never is
/// explicitly) or unknown.
pub(crate) fn core_alua_check_transition(state: u8, valid: u8) -> Result<bool, SenseReason> {
    let (sup, primary) = match state {
        ALUA_ACCESS_STATE_ACTIVE_OPTIMIZED => (ALUA_AO_SUP, true),
        ALUA_ACCESS_STATE_ACTIVE_NON_OPTIMIZED => (ALUA_AN_SUP, true),
        ALUA_ACCESS_STATE_STANDBY => (ALUA_S_SUP, true),
        ALUA_ACCESS_STATE_UNAVAILABLE => (ALUA_U_SUP, true),
        ALUA_ACCESS_STATE_LBA_DEPENDENT => (ALUA_LBD_SUP, true),
        ALUA_ACCESS_STATE_OFFLINE => (ALUA_O_SUP, false),
        // Set internally only, never through SET TARGET PORT GROUPS.
        ALUA_ACCESS_STATE_TRANSITION => (0, false),
        _ => (0, false),
    };
    if valid & sup == 0 {
        return Err(SenseReason::InvalidParameterList);
    }
    Ok(primary)
}

/// `target_emulate_report_target_port_groups()` into `buf` (zeroed first; the command's
/// data length is `data_length`): the header (RETURN DATA LENGTH; with the extended
/// header, PARAMETER DATA FORMAT 001b and the IMPLICIT TRANSITION TIME of the LUN's
/// group), then the LUN's target port group — PREF, access state, supported states, ID,
/// status, one target port: this LUN's RELATIVE TARGET PORT IDENTIFIER — when it fits in
/// the data length (else only counted in RETURN DATA LENGTH, as LIO truncates). Returns
/// the response length (RETURN DATA LENGTH + 4). A data length shorter than the header is
/// INVALID FIELD IN CDB.
///
/// lio-rs: the engine sees only the LUN the command came through, so its group is the
/// only one reported, with one target port (LIO lists every non-empty group of the
/// device and every LUN in it, from all TPGs exporting the device).
pub(crate) fn target_emulate_report_target_port_groups(
    port: &PortInfo<'_>,
    ext_hdr: bool,
    data_length: usize,
    buf: &mut [u8],
) -> Result<usize, SenseReason> {
    let mut off = if ext_hdr { 8 } else { 4 };
    if data_length < off {
        return Err(SenseReason::InvalidCdbField);
    }
    zero(buf);
    let mut rd_len = 0u32;
    if let Some(gp) = port.tg_pt_gp {
        let members = 1u8;
        let desc_len = 8 + 4 * usize::from(members);
        if off + desc_len > data_length {
            rd_len += desc_len as u32;
        } else {
            let pref = if gp.pref { 0x80 } else { 0 };
            put_u8(buf, off, pref | gp.alua_access_state);
            put_u8(buf, off + 1, gp.alua_supported_states);
            put_unaligned_be16(buf, off + 2, gp.tg_pt_gp_id);
            put_u8(buf, off + 5, gp.alua_access_status);
            put_u8(buf, off + 7, members);
            off += 8;
            rd_len += 8;
            // Target port descriptor: obsolete, RELATIVE TARGET PORT IDENTIFIER.
            put_unaligned_be16(buf, off + 2, port.tpg_rtpi);
            rd_len += 4;
        }
    }
    put_unaligned_be32(buf, 0, rd_len);
    if ext_hdr {
        put_u8(buf, 4, 0x10);
        if let Some(gp) = port.tg_pt_gp {
            put_u8(buf, 5, gp.implicit_trans_secs);
        }
    }
    Ok(rd_len as usize + 4)
}

/// `target_emulate_set_target_port_groups()` over the parameter list of `data_length`
/// bytes (`read(off, dst)` copies it out, zeros past its end): refused (INVALID COMMAND
/// OPERATION CODE) unless the LUN's group allows explicit ALUA; then each 4-byte
/// descriptor after the 4-byte header is checked with [`core_alua_check_transition`] and
/// applied, in order, the first failure ending the command with INVALID FIELD IN
/// PARAMETER LIST.
///
/// lio-rs keeps no ALUA state to change (the group's state is the one [`PortInfo`] is
/// given, Active/Optimized for `default_tg_pt_gp`, and commands are not checked against
/// it): a primary state for the LUN's group is accepted when it is the group's current
/// state — LIO's `core_alua_do_transition_tg_pt()` does nothing then — and any other
/// transition fails with INVALID FIELD IN PARAMETER LIST, what LIO answers for a
/// transition it cannot make (an unsupported state, an unknown group or target port).
/// So does OFFLINE for this port (LIO would set the port's secondary state).
pub(crate) fn target_emulate_set_target_port_groups(
    port: &PortInfo<'_>,
    data_length: usize,
    read: &mut dyn FnMut(usize, &mut [u8]),
) -> Result<(), SenseReason> {
    if data_length < 4 {
        return Err(SenseReason::InvalidParameterList);
    }
    let Some(gp) = port.tg_pt_gp else {
        return Err(SenseReason::UnsupportedScsiOpcode);
    };
    if gp.alua_access_type & TPGS_EXPLICIT_ALUA == 0 {
        return Err(SenseReason::UnsupportedScsiOpcode);
    }
    let mut len = 4usize;
    while len < data_length {
        let mut desc = [0u8; 4];
        read(len, &mut desc);
        let [b0, _, id_hi, id_lo] = desc;
        let state = b0 & 0x0f;
        let primary = core_alua_check_transition(state, gp.alua_supported_states)?;
        // TARGET PORT GROUP of a primary state, RELATIVE TARGET PORT IDENTIFIER else.
        let id = u16::from_be_bytes([id_hi, id_lo]);
        let found = primary && id == gp.tg_pt_gp_id && state == gp.alua_access_state;
        if !found {
            return Err(SenseReason::InvalidParameterList);
        }
        len = len.saturating_add(4);
    }
    Ok(())
}

/// `spc_emulate_testunitready()`: always GOOD (readiness is checked before execution).
pub(crate) fn spc_emulate_testunitready() -> Result<(), SenseReason> {
    Ok(())
}

/// `SCSI_SUPPORT_NOT_SUPPORTED`.
pub(crate) const SCSI_SUPPORT_NOT_SUPPORTED: u8 = 1;
/// `SCSI_SUPPORT_FULL`.
pub(crate) const SCSI_SUPPORT_FULL: u8 = 3;

/// When a `tcm_supported_opcodes[]` entry is reported (its `enabled` callback).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpcodeEnabled {
    /// No callback.
    Always,
    /// `tcm_is_ws_enabled()`: `emulate_tpws` with an unmap op, or a write-same op.
    WriteSame,
    /// `tcm_is_caw_enabled()`: `emulate_caw`.
    CompareAndWrite,
    /// `tcm_is_rep_ref_enabled()`: the device has an LBA map.
    ReportReferrals,
    /// `tcm_is_unmap_enabled()`: an unmap op and `emulate_tpu`.
    Unmap,
    /// `tcm_is_pr_enabled()`: `emulate_pr`, minus what PGR passthrough cannot do.
    PersistentReservations,
    /// `tcm_is_3pc_enabled()`: `emulate_3pc`.
    ThirdPartyCopy,
    /// `spc_rsoc_enabled()`: `emulate_rsoc`.
    Rsoc,
    /// `tcm_is_set_tpg_enabled()`: the LUN's group allows explicit ALUA.
    SetTargetPortGroups,
}

/// Where an entry's `update_usage_bits` callback puts the DPO/FUA bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UsageBitsUpdate {
    /// No callback.
    None,
    /// `set_dpofua_usage_bits()`: byte 1.
    DpoFua,
    /// `set_dpofua_usage_bits32()`: byte 10.
    DpoFua32,
}

/// `struct target_opcode_descriptor` (LIO sets no timeouts: they are all 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TargetOpcodeDescriptor {
    /// `support` (`SCSI_SUPPORT_FULL`).
    pub(crate) support: u8,
    /// `serv_action_valid`.
    pub(crate) serv_action_valid: bool,
    /// `opcode`.
    pub(crate) opcode: u8,
    /// `service_action`.
    pub(crate) service_action: u16,
    /// `usage_bits`: the CDB USAGE DATA; its length is `cdb_size`.
    pub(crate) usage_bits: &'static [u8],
    /// `enabled`.
    pub(crate) enabled: OpcodeEnabled,
    /// `update_usage_bits`.
    pub(crate) update_usage_bits: UsageBitsUpdate,
}

const fn op(
    opcode: u8,
    usage_bits: &'static [u8],
    enabled: OpcodeEnabled,
    update_usage_bits: UsageBitsUpdate,
) -> TargetOpcodeDescriptor {
    TargetOpcodeDescriptor {
        support: SCSI_SUPPORT_FULL,
        serv_action_valid: false,
        opcode,
        service_action: 0,
        usage_bits,
        enabled,
        update_usage_bits,
    }
}

const fn op_sa(
    opcode: u8,
    service_action: u16,
    usage_bits: &'static [u8],
    enabled: OpcodeEnabled,
    update_usage_bits: UsageBitsUpdate,
) -> TargetOpcodeDescriptor {
    TargetOpcodeDescriptor {
        support: SCSI_SUPPORT_FULL,
        serv_action_valid: true,
        opcode,
        service_action,
        usage_bits,
        enabled,
        update_usage_bits,
    }
}

/// `SCSI_CONTROL_MASK` and `SCSI_GROUP_NUMBER_MASK` are 0 in LIO.
const CTL: u8 = 0;
const GRP: u8 = 0;

/// CDB usage data of a 6-byte CDB.
const fn usage6(op: u8, b1: u8, b2: u8, b3: u8, b4: u8) -> [u8; 6] {
    [op, b1, b2, b3, b4, CTL]
}

/// A 10-byte CDB with a 32-bit LBA and a 16-bit length (READ (10) and its kin).
const fn lba10(op: u8, b1: u8) -> [u8; 10] {
    [op, b1, 0xff, 0xff, 0xff, 0xff, GRP, 0xff, 0xff, CTL]
}

/// A 10-byte CDB with a 16-bit length in bytes 7-8 only.
const fn len10(op: u8, b1: u8) -> [u8; 10] {
    [op, b1, 0, 0, 0, 0, 0, 0xff, 0xff, CTL]
}

/// A 12-byte CDB with a 32-bit LBA and a 32-bit length.
const fn lba12(op: u8) -> [u8; 12] {
    [
        op, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, GRP, CTL,
    ]
}

/// A 12-byte CDB with a 32-bit allocation/parameter list length in bytes 6-9.
const fn len12(op: u8, b1: u8, b2: u8, b3: u8, b4: u8, b5: u8) -> [u8; 12] {
    [op, b1, b2, b3, b4, b5, 0xff, 0xff, 0xff, 0xff, 0, CTL]
}

/// A 16-byte CDB with a 64-bit LBA and a 32-bit length.
const fn lba16(op: u8, b1: u8) -> [u8; 16] {
    let mut u = [0xff; 16];
    u[0] = op;
    u[1] = b1;
    u[14] = GRP;
    u[15] = CTL;
    u
}

/// A 16-byte CDB with a 32-bit allocation/parameter list length in bytes 10-13.
const fn len16(op: u8, b1: u8) -> [u8; 16] {
    [
        op, b1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, CTL,
    ]
}

/// PERSISTENT RESERVE OUT with a service action.
const fn pro(sa: u8) -> [u8; 10] {
    [
        PERSISTENT_RESERVE_OUT,
        sa,
        0xff,
        0,
        0,
        0xff,
        0xff,
        0xff,
        0xff,
        CTL,
    ]
}

const U_READ_6: [u8; 6] = usage6(READ_6, 0x1f, 0xff, 0xff, 0xff);
const U_READ_10: [u8; 10] = lba10(READ_10, 0xf8);
const U_READ_12: [u8; 12] = lba12(READ_12);
const U_READ_16: [u8; 16] = lba16(READ_16, 0xf8);
const U_WRITE_6: [u8; 6] = usage6(WRITE_6, 0x1f, 0xff, 0xff, 0xff);
const U_WRITE_10: [u8; 10] = lba10(WRITE_10, 0xf8);
const U_WRITE_VERIFY: [u8; 10] = lba10(WRITE_VERIFY, 0xf0);
const U_WRITE_12: [u8; 12] = lba12(WRITE_12);
const U_WRITE_16: [u8; 16] = lba16(WRITE_16, 0xf8);
const U_WRITE_VERIFY_16: [u8; 16] = lba16(WRITE_VERIFY_16, 0xf0);
const U_WRITE_SAME_32: [u8; 32] = [
    0x7f, CTL, 0, 0, 0, 0, GRP, 0x18, 0, 0x0d, 0xe8, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
];
const U_COMPARE_AND_WRITE: [u8; 16] = {
    let mut u = lba16(COMPARE_AND_WRITE, 0x18);
    u[10] = 0;
    u[11] = 0;
    u[12] = 0;
    u
};
const U_READ_CAPACITY: [u8; 10] = [READ_CAPACITY, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x01, CTL];
const U_READ_CAPACITY_16: [u8; 16] = len16(SERVICE_ACTION_IN_16, SAI_READ_CAPACITY_16);
const U_REPORT_REFERRALS: [u8; 16] = len16(SERVICE_ACTION_IN_16, SAI_REPORT_REFERRALS);
const U_SYNCHRONIZE_CACHE: [u8; 10] = lba10(SYNCHRONIZE_CACHE, 0x02);
const U_SYNCHRONIZE_CACHE_16: [u8; 16] = lba16(SYNCHRONIZE_CACHE_16, 0x02);
const U_UNMAP: [u8; 10] = [UNMAP, 0, 0, 0, 0, 0, GRP, 0xff, 0xff, CTL];
const U_WRITE_SAME: [u8; 10] = lba10(WRITE_SAME, 0xe8);
const U_WRITE_SAME_16: [u8; 16] = lba16(WRITE_SAME_16, 0xe8);
const U_VERIFY: [u8; 10] = lba10(VERIFY, 0x00);
const U_VERIFY_16: [u8; 16] = lba16(VERIFY_16, 0x00);
const U_START_STOP: [u8; 6] = usage6(START_STOP, 0x01, 0, 0, 0x01);
const U_MODE_SELECT: [u8; 6] = usage6(MODE_SELECT, 0x10, 0, 0, 0xff);
const U_MODE_SELECT_10: [u8; 10] = len10(MODE_SELECT_10, 0x10);
const U_MODE_SENSE: [u8; 6] = usage6(MODE_SENSE, 0x08, 0xff, 0xff, 0xff);
const U_MODE_SENSE_10: [u8; 10] = [MODE_SENSE_10, 0x18, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, CTL];
const U_PRI_READ_KEYS: [u8; 10] = len10(PERSISTENT_RESERVE_IN, PRI_READ_KEYS);
const U_PRI_READ_RESERVATION: [u8; 10] = len10(PERSISTENT_RESERVE_IN, PRI_READ_RESERVATION);
const U_PRI_REPORT_CAPABILITIES: [u8; 10] = len10(PERSISTENT_RESERVE_IN, PRI_REPORT_CAPABILITIES);
const U_PRI_READ_FULL_STATUS: [u8; 10] = len10(PERSISTENT_RESERVE_IN, PRI_READ_FULL_STATUS);
const U_PRO_REGISTER: [u8; 10] = pro(PRO_REGISTER);
const U_PRO_RESERVE: [u8; 10] = pro(PRO_RESERVE);
const U_PRO_RELEASE: [u8; 10] = pro(PRO_RELEASE);
const U_PRO_CLEAR: [u8; 10] = pro(PRO_CLEAR);
const U_PRO_PREEMPT: [u8; 10] = pro(PRO_PREEMPT);
const U_PRO_PREEMPT_AND_ABORT: [u8; 10] = pro(PRO_PREEMPT_AND_ABORT);
const U_PRO_REG_IGN_EXIST: [u8; 10] = pro(PRO_REGISTER_AND_IGNORE_EXISTING_KEY);
const U_PRO_REGISTER_AND_MOVE: [u8; 10] = pro(PRO_REGISTER_AND_MOVE);
const U_RELEASE: [u8; 6] = usage6(RELEASE, 0, 0, 0, 0);
const U_RELEASE_10: [u8; 10] = len10(RELEASE_10, 0);
const U_RESERVE: [u8; 6] = usage6(RESERVE, 0, 0, 0, 0);
const U_RESERVE_10: [u8; 10] = len10(RESERVE_10, 0);
const U_REQUEST_SENSE: [u8; 6] = usage6(REQUEST_SENSE, 0, 0, 0, 0xff);
const U_INQUIRY: [u8; 6] = usage6(INQUIRY, 0x01, 0xff, 0xff, 0xff);
const U_EXTENDED_COPY: [u8; 16] = len16(EXTENDED_COPY, 0);
const U_RECEIVE_COPY_RESULTS: [u8; 16] = len16(RECEIVE_COPY_RESULTS, RCR_SA_OPERATING_PARAMETERS);
const U_REPORT_LUNS: [u8; 12] = len12(REPORT_LUNS, 0, 0xff, 0, 0, 0);
const U_TEST_UNIT_READY: [u8; 6] = usage6(TEST_UNIT_READY, 0, 0, 0, 0);
const U_REPORT_TARGET_PGS: [u8; 12] =
    len12(MAINTENANCE_IN, 0xe0 | MI_REPORT_TARGET_PGS, 0, 0, 0, 0);
const U_REPORT_SUPP_OPCODES: [u8; 12] = len12(
    MAINTENANCE_IN,
    MI_REPORT_SUPPORTED_OPERATION_CODES,
    0x87,
    0xff,
    0xff,
    0xff,
);
const U_SET_TARGET_PGS: [u8; 12] = len12(MAINTENANCE_OUT, MO_SET_TARGET_PGS, 0, 0, 0, 0);

use OpcodeEnabled as En;
use UsageBitsUpdate as Up;

/// LIO's `tcm_supported_opcodes[]`, in its order, with its CDB usage data.
pub(crate) static TCM_SUPPORTED_OPCODES: [TargetOpcodeDescriptor; 52] = [
    op(READ_6, &U_READ_6, En::Always, Up::None),
    op(READ_10, &U_READ_10, En::Always, Up::DpoFua),
    op(READ_12, &U_READ_12, En::Always, Up::DpoFua),
    op(READ_16, &U_READ_16, En::Always, Up::DpoFua),
    op(WRITE_6, &U_WRITE_6, En::Always, Up::None),
    op(WRITE_10, &U_WRITE_10, En::Always, Up::DpoFua),
    op(WRITE_VERIFY, &U_WRITE_VERIFY, En::Always, Up::DpoFua),
    op(WRITE_12, &U_WRITE_12, En::Always, Up::DpoFua),
    op(WRITE_16, &U_WRITE_16, En::Always, Up::DpoFua),
    op(WRITE_VERIFY_16, &U_WRITE_VERIFY_16, En::Always, Up::DpoFua),
    op_sa(
        VARIABLE_LENGTH_CMD,
        WRITE_SAME_32,
        &U_WRITE_SAME_32,
        En::WriteSame,
        Up::DpoFua32,
    ),
    op(
        COMPARE_AND_WRITE,
        &U_COMPARE_AND_WRITE,
        En::CompareAndWrite,
        Up::DpoFua,
    ),
    op(READ_CAPACITY, &U_READ_CAPACITY, En::Always, Up::None),
    op_sa(
        SERVICE_ACTION_IN_16,
        0x10,
        &U_READ_CAPACITY_16,
        En::Always,
        Up::None,
    ),
    op_sa(
        SERVICE_ACTION_IN_16,
        0x13,
        &U_REPORT_REFERRALS,
        En::ReportReferrals,
        Up::None,
    ),
    op(
        SYNCHRONIZE_CACHE,
        &U_SYNCHRONIZE_CACHE,
        En::Always,
        Up::None,
    ),
    op(
        SYNCHRONIZE_CACHE_16,
        &U_SYNCHRONIZE_CACHE_16,
        En::Always,
        Up::None,
    ),
    op(UNMAP, &U_UNMAP, En::Unmap, Up::None),
    op(WRITE_SAME, &U_WRITE_SAME, En::WriteSame, Up::None),
    op(WRITE_SAME_16, &U_WRITE_SAME_16, En::WriteSame, Up::None),
    op(VERIFY, &U_VERIFY, En::Always, Up::None),
    op(VERIFY_16, &U_VERIFY_16, En::Always, Up::None),
    op(START_STOP, &U_START_STOP, En::Always, Up::None),
    op(MODE_SELECT, &U_MODE_SELECT, En::Always, Up::None),
    op(MODE_SELECT_10, &U_MODE_SELECT_10, En::Always, Up::None),
    op(MODE_SENSE, &U_MODE_SENSE, En::Always, Up::None),
    op(MODE_SENSE_10, &U_MODE_SENSE_10, En::Always, Up::None),
    // READ KEYS and READ RESERVATION have no `enabled` callback in LIO.
    op_sa(
        PERSISTENT_RESERVE_IN,
        0x00,
        &U_PRI_READ_KEYS,
        En::Always,
        Up::None,
    ),
    op_sa(
        PERSISTENT_RESERVE_IN,
        0x01,
        &U_PRI_READ_RESERVATION,
        En::Always,
        Up::None,
    ),
    op_sa(
        PERSISTENT_RESERVE_IN,
        0x02,
        &U_PRI_REPORT_CAPABILITIES,
        PR,
        Up::None,
    ),
    op_sa(
        PERSISTENT_RESERVE_IN,
        0x03,
        &U_PRI_READ_FULL_STATUS,
        PR,
        Up::None,
    ),
    op_sa(PERSISTENT_RESERVE_OUT, 0x00, &U_PRO_REGISTER, PR, Up::None),
    op_sa(PERSISTENT_RESERVE_OUT, 0x01, &U_PRO_RESERVE, PR, Up::None),
    op_sa(PERSISTENT_RESERVE_OUT, 0x02, &U_PRO_RELEASE, PR, Up::None),
    op_sa(PERSISTENT_RESERVE_OUT, 0x03, &U_PRO_CLEAR, PR, Up::None),
    op_sa(PERSISTENT_RESERVE_OUT, 0x04, &U_PRO_PREEMPT, PR, Up::None),
    op_sa(
        PERSISTENT_RESERVE_OUT,
        0x05,
        &U_PRO_PREEMPT_AND_ABORT,
        PR,
        Up::None,
    ),
    op_sa(
        PERSISTENT_RESERVE_OUT,
        0x06,
        &U_PRO_REG_IGN_EXIST,
        PR,
        Up::None,
    ),
    op_sa(
        PERSISTENT_RESERVE_OUT,
        0x07,
        &U_PRO_REGISTER_AND_MOVE,
        PR,
        Up::None,
    ),
    op(RELEASE, &U_RELEASE, PR, Up::None),
    op(RELEASE_10, &U_RELEASE_10, PR, Up::None),
    op(RESERVE, &U_RESERVE, PR, Up::None),
    op(RESERVE_10, &U_RESERVE_10, PR, Up::None),
    op(REQUEST_SENSE, &U_REQUEST_SENSE, En::Always, Up::None),
    op(INQUIRY, &U_INQUIRY, En::Always, Up::None),
    // LIO marks EXTENDED COPY (LID1) serv_action_valid with service action 0.
    op_sa(
        EXTENDED_COPY,
        0x00,
        &U_EXTENDED_COPY,
        En::ThirdPartyCopy,
        Up::None,
    ),
    op_sa(
        RECEIVE_COPY_RESULTS,
        0x03,
        &U_RECEIVE_COPY_RESULTS,
        En::ThirdPartyCopy,
        Up::None,
    ),
    op(REPORT_LUNS, &U_REPORT_LUNS, En::Always, Up::None),
    op(TEST_UNIT_READY, &U_TEST_UNIT_READY, En::Always, Up::None),
    op_sa(
        MAINTENANCE_IN,
        0x0a,
        &U_REPORT_TARGET_PGS,
        En::Always,
        Up::None,
    ),
    op_sa(
        MAINTENANCE_IN,
        0x0c,
        &U_REPORT_SUPP_OPCODES,
        En::Rsoc,
        Up::None,
    ),
    op_sa(
        MAINTENANCE_OUT,
        0x0a,
        &U_SET_TARGET_PGS,
        En::SetTargetPortGroups,
        Up::None,
    ),
];

/// `tcm_is_pr_enabled()`, short for the table.
const PR: OpcodeEnabled = OpcodeEnabled::PersistentReservations;

impl TargetOpcodeDescriptor {
    /// `cdb_size`.
    pub(crate) fn cdb_size(&self) -> usize {
        self.usage_bits.len()
    }

    /// The entry's `enabled` callback for this device, LUN and backend.
    pub(crate) fn is_enabled(
        &self,
        dev: &DeviceInfo<'_>,
        port: &PortInfo<'_>,
        ops: &ExecCmdOps,
    ) -> bool {
        match self.enabled {
            En::Always => true,
            En::WriteSame => (dev.emulate_tpws && ops.execute_unmap) || ops.execute_write_same,
            En::CompareAndWrite => dev.emulate_caw,
            En::ReportReferrals => dev.lba_map.is_some(),
            En::Unmap => ops.execute_unmap && dev.emulate_tpu,
            En::PersistentReservations => {
                if !dev.emulate_pr {
                    return false;
                }
                if !dev.passthrough_pgr {
                    return true;
                }
                match self.opcode {
                    RESERVE | RESERVE_10 | RELEASE | RELEASE_10 => false,
                    PERSISTENT_RESERVE_OUT => !matches!(
                        self.service_action as u8,
                        PRO_REGISTER_AND_MOVE | PRO_REPLACE_LOST_RESERVATION
                    ),
                    PERSISTENT_RESERVE_IN => self.service_action != u16::from(PRI_READ_FULL_STATUS),
                    _ => true,
                }
            }
            En::ThirdPartyCopy => dev.emulate_3pc,
            En::Rsoc => dev.emulate_rsoc,
            En::SetTargetPortGroups => port
                .tg_pt_gp
                .is_some_and(|gp| gp.alua_access_type & TPGS_EXPLICIT_ALUA != 0),
        }
    }

    /// The CDB USAGE DATA with the entry's `update_usage_bits` applied, at `buf[off..]`.
    fn put_usage_bits(&self, dev: &DeviceInfo<'_>, buf: &mut [u8], off: usize) {
        put_bytes(buf, off, self.usage_bits);
        let at = match self.update_usage_bits {
            Up::None => return,
            Up::DpoFua => off + 1,
            Up::DpoFua32 => off + 10,
        };
        if let Some(b) = buf.get_mut(at) {
            if dev.target_check_fua() {
                *b |= 0x18;
            } else {
                *b &= !0x18;
            }
        }
    }
}

/// `spc_rsoc_get_descr()`: the entry REPORTING OPTIONS 1-3 ask about. `Ok(None)` when it
/// is not there or not enabled (reported as not supported); options 1 on a command with
/// service actions, or 2 on one without, are `TCM_INVALID_CDB_FIELD`. Entries `listed`
/// refuses do not exist.
fn spc_rsoc_get_descr(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    ops: &ExecCmdOps,
    cdb: &RsocCdb,
    listed: fn(&TargetOpcodeDescriptor) -> bool,
) -> Result<Option<&'static TargetOpcodeDescriptor>, SenseReason> {
    for descr in TCM_SUPPORTED_OPCODES.iter() {
        if descr.opcode != cdb.opcode || !listed(descr) {
            continue;
        }
        match cdb.options {
            0x1 => {
                if descr.serv_action_valid {
                    return Err(SenseReason::InvalidCdbField);
                }
                if descr.is_enabled(dev, port, ops) {
                    return Ok(Some(descr));
                }
            }
            0x2 => {
                if descr.serv_action_valid && descr.service_action == cdb.service_action {
                    if descr.is_enabled(dev, port, ops) {
                        return Ok(Some(descr));
                    }
                } else if !descr.serv_action_valid {
                    return Err(SenseReason::InvalidCdbField);
                }
            }
            0x3 if descr.service_action == cdb.service_action
                && descr.is_enabled(dev, port, ops) =>
            {
                return Ok(Some(descr));
            }
            _ => {}
        }
    }
    Ok(None)
}

/// The 12-byte command timeouts descriptor LIO appends with RCTD (all timeouts 0).
fn put_timeouts_descriptor(buf: &mut [u8], off: usize) -> usize {
    put_unaligned_be16(buf, off, 0x000a);
    12
}

/// `spc_emulate_report_supp_op_codes()`: REPORT SUPPORTED OPERATION CODES, all commands
/// (REPORTING OPTIONS 0: 8-byte descriptors, + 12 with RCTD) or one command (4-byte
/// header, the CDB usage data, + 12 with RCTD; a 2-byte "not supported" answer when the
/// command is unknown or disabled). `emulate_rsoc` off is `TCM_UNSUPPORTED_SCSI_OPCODE`.
/// Returns the response length.
pub(crate) fn spc_emulate_report_supp_op_codes(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    ops: &ExecCmdOps,
    cdb: &RsocCdb,
    buf: &mut [u8],
) -> Result<usize, SenseReason> {
    spc_emulate_report_supp_op_codes_listed(dev, port, ops, cdb, buf, |_| true)
}

/// [`spc_emulate_report_supp_op_codes`] with only the `tcm_supported_opcodes[]` entries
/// `listed` accepts (lio-rs: the commands its engine executes), the others being
/// reported as not supported.
pub(crate) fn spc_emulate_report_supp_op_codes_listed(
    dev: &DeviceInfo<'_>,
    port: &PortInfo<'_>,
    ops: &ExecCmdOps,
    cdb: &RsocCdb,
    buf: &mut [u8],
    listed: fn(&TargetOpcodeDescriptor) -> bool,
) -> Result<usize, SenseReason> {
    if !dev.emulate_rsoc {
        return Err(SenseReason::UnsupportedScsiOpcode);
    }
    zero(buf);
    let ctdp = u8::from(cdb.rctd);
    if cdb.options == 0 {
        let mut len = 4;
        for descr in TCM_SUPPORTED_OPCODES.iter() {
            if !listed(descr) || !descr.is_enabled(dev, port, ops) {
                continue;
            }
            put_u8(buf, len, descr.opcode);
            put_unaligned_be16(buf, len + 2, descr.service_action);
            put_u8(
                buf,
                len + 5,
                (ctdp << 1) | u8::from(descr.serv_action_valid),
            );
            put_unaligned_be16(buf, len + 6, descr.cdb_size() as u16);
            len += 8;
            if cdb.rctd {
                len += put_timeouts_descriptor(buf, len);
            }
        }
        put_unaligned_be32(buf, 0, (len - 4) as u32);
        return Ok(len);
    }
    match spc_rsoc_get_descr(dev, port, ops, cdb, listed)? {
        None => {
            put_u8(buf, 1, (ctdp << 7) | SCSI_SUPPORT_NOT_SUPPORTED);
            Ok(2)
        }
        Some(descr) => {
            put_u8(buf, 1, (ctdp << 7) | descr.support);
            put_unaligned_be16(buf, 2, descr.cdb_size() as u16);
            descr.put_usage_bits(dev, buf, 4);
            let mut len = 4 + descr.cdb_size();
            if cdb.rctd {
                len += put_timeouts_descriptor(buf, len);
            }
            Ok(len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::cdb::decode_cdb;
    use super::*;
    use std::format;
    use std::string::String;
    use std::vec::Vec;

    // The C LIO's answers for a 64 MiB rd_mcp LUN on tcm_loop (`make baseline`).
    const SG_INQ: &str =
        include_str!("../../tools/testing/baseline/c/tcm_loop-rd_mcp/probes/sg_inq.txt");
    const SG_VPD: &str =
        include_str!("../../tools/testing/baseline/c/tcm_loop-rd_mcp/probes/sg_vpd_a.txt");
    const SG_MODES: &str =
        include_str!("../../tools/testing/baseline/c/tcm_loop-rd_mcp/probes/sg_modes_a.txt");
    const SG_LUNS: &str =
        include_str!("../../tools/testing/baseline/c/tcm_loop-rd_mcp/probes/sg_luns.txt");

    /// A generated serial as rtslib writes it (the probes show it as `<UUID>`).
    const SERIAL: &[u8] = b"5d3f6a2c-0b41-4e8a-9c7d-1e2f3a4b5c6d";

    /// The baseline's device: targetcli's rd_mcp "rd0", 131072 blocks of 512 bytes.
    fn rd0() -> DeviceInfo<'static> {
        let mut dev = DeviceInfo::new(
            b"LIO-ORG",
            b"rd0",
            b"4.0",
            512,
            131_071,
            se_dev_align_max_sectors(u32::MAX, 512),
        );
        dev.unit_serial = Some(SERIAL);
        dev.is_nonrot = true;
        dev.lu_gp_id = Some(0); // default_lu_gp
        dev
    }

    /// The baseline's path: tcm_loop (SAS), default_tg_pt_gp (implicit and explicit ALUA).
    fn tcm_loop() -> PortInfo<'static> {
        PortInfo {
            proto_id: SCSI_PROTOCOL_SAS,
            tpg_rtpi: 0,
            tpgt: 1,
            tpg_wwn: b"naa.50014050aabbccdd",
            tg_pt_gp: Some(TgPtGp {
                tg_pt_gp_id: 0,
                alua_access_type: TPGS_IMPLICIT_ALUA | TPGS_EXPLICIT_ALUA,
                ..TgPtGp::DEFAULT
            }),
            lun_access_ro: false,
            max_data_sg_nents: 0,
            sup_prot_ops: TARGET_PROT_DIN_PASS | TARGET_PROT_DOUT_PASS,
            sess_prot_type: 0,
        }
    }

    /// `KEY=value` as sg3_utils prints it.
    fn probe_kv<'a>(text: &'a str, key: &str) -> &'a str {
        let pat = format!("{key}=");
        let start = text
            .match_indices(&pat)
            .find(|(i, _)| *i == 0 || !text.as_bytes()[i - 1].is_ascii_alphanumeric())
            .map(|(i, _)| i + pat.len())
            .unwrap_or_else(|| panic!("{key} not in probe"));
        let rest = &text[start..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == ']' || c == ',')
            .unwrap_or(rest.len());
        &rest[..end]
    }

    /// The text after `label` up to the end of its line.
    fn probe_line<'a>(text: &'a str, label: &str) -> &'a str {
        let start = text
            .find(label)
            .unwrap_or_else(|| panic!("{label} not in probe"))
            + label.len();
        text[start..].lines().next().unwrap()
    }

    fn probe_num(text: &str, label: &str) -> u64 {
        probe_line(text, label)
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// The lines of one sg_vpd section (header line to the blank line).
    fn probe_section<'a>(text: &'a str, header: &str) -> &'a str {
        let start = text.find(header).unwrap();
        let rest = &text[start..];
        match rest.find("\n\n") {
            Some(end) => &rest[..end + 1],
            None => rest,
        }
    }

    fn inquiry(evpd: bool, page: u8) -> Vec<u8> {
        let mut buf = [0xeeu8; SE_INQUIRY_BUF];
        let len = spc_emulate_inquiry(&rd0(), &tcm_loop(), evpd, page, &mut buf).unwrap();
        buf[..len].to_vec()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn standard_inquiry_matches_sg_inq() {
        let d = inquiry(false, 0);
        let bit = |byte: usize, shift: u32, mask: u8| ((d[byte] >> shift) & mask).to_string();
        use std::string::ToString;
        let fields = [
            ("PQual", bit(0, 5, 7)),
            ("PDT", bit(0, 0, 0x1f)),
            ("RMB", bit(1, 7, 1)),
            ("LU_CONG", bit(1, 6, 1)),
            ("hot_pluggable", bit(1, 4, 3)),
            ("version", format!("0x{:02x}", d[2])),
            ("NormACA", bit(3, 5, 1)),
            ("HiSUP", bit(3, 4, 1)),
            ("Resp_data_format", bit(3, 0, 0xf)),
            ("SCCS", bit(5, 7, 1)),
            ("ACC", bit(5, 6, 1)),
            ("TPGS", bit(5, 4, 3)),
            ("3PC", bit(5, 3, 1)),
            ("Protect", bit(5, 0, 1)),
            ("EncServ", bit(6, 6, 1)),
            ("MultiP", bit(6, 4, 1)),
            ("Addr16", bit(6, 0, 1)),
            ("WBus16", bit(7, 5, 1)),
            ("Sync", bit(7, 4, 1)),
            ("CmdQue", bit(7, 1, 1)),
            ("length", (usize::from(d[4]) + 5).to_string()),
        ];
        for (key, ours) in fields {
            assert_eq!(probe_kv(SG_INQ, key), ours, "{key}");
        }
        assert_eq!(d.len(), 96);
        let text = |r: core::ops::Range<usize>| String::from_utf8(d[r].to_vec()).unwrap();
        assert_eq!(probe_line(SG_INQ, " Vendor identification: "), text(8..16));
        assert_eq!(
            probe_line(SG_INQ, " Product identification: "),
            text(16..32)
        );
        assert_eq!(
            probe_line(SG_INQ, " Product revision level: "),
            text(32..36)
        );
        // Byte for byte: flags, then SAM-5, SAS-3, SPC-4, SBC-3 version descriptors.
        let mut want = [0u8; 96];
        want[..8].copy_from_slice(&[0x00, 0x00, 0x06, 0x02, 91, 0x80 | 0x30 | 0x08, 0x00, 0x02]);
        want[8..36].copy_from_slice(b"LIO-ORG rd0             4.0 ");
        want[58..66].copy_from_slice(&[0x00, 0xa0, 0x0c, 0x60, 0x04, 0x60, 0x04, 0xc0]);
        assert_eq!(d, want);
    }

    #[test]
    fn inquiry_variants_and_errors() {
        let (dev, mut port) = (rd0(), tcm_loop());
        let mut buf = [0u8; 255];
        // EVPD = 0 with a page code, unknown VPD pages.
        for (evpd, page) in [
            (false, 0x80),
            (true, 0x01),
            (true, 0x87),
            (true, 0xb4),
            (true, 0xff),
        ] {
            assert_eq!(
                spc_emulate_inquiry(&dev, &port, evpd, page, &mut buf),
                Err(SenseReason::InvalidCdbField)
            );
        }
        // iSCSI: iSCSI version descriptor; no ALUA group: TPGS 0; more LUNs: MULTIP.
        port.proto_id = SCSI_PROTOCOL_ISCSI;
        port.tg_pt_gp = None;
        let mut dev2 = dev;
        dev2.export_count = 2;
        dev2.emulate_3pc = false;
        spc_emulate_inquiry(&dev2, &port, false, 0, &mut buf).unwrap();
        assert_eq!(
            (buf[5], buf[6], &buf[60..62]),
            (0x80, 0x10, &[0x09, 0x60][..])
        );
        // PROTECT with a PI device on a session that passes PI.
        dev2.pi_prot_type = TARGET_DIF_TYPE1_PROT;
        spc_emulate_inquiry(&dev2, &port, false, 0, &mut buf).unwrap();
        assert_eq!(buf[5] & 0x01, 0x01);
        port.sup_prot_ops = 0;
        spc_emulate_inquiry(&dev2, &port, false, 0, &mut buf).unwrap();
        assert_eq!(buf[5] & 0x01, 0x00);
        // Long strings are cut to their fields, a NUL ends them.
        let mut dev3 = dev;
        dev3.vendor = b"ABCDEFGHIJ";
        dev3.model = b"M\0garbage";
        spc_emulate_inquiry(&dev3, &tcm_loop(), false, 0, &mut buf).unwrap();
        assert_eq!(&buf[8..36], b"ABCDEFGHM               4.0 ");
        // Allocation length shorter than the data: truncated, full length returned.
        let mut short = [0u8; 5];
        assert_eq!(
            spc_emulate_inquiry(&dev, &tcm_loop(), false, 0, &mut short),
            Ok(96)
        );
        assert_eq!(short, [0, 0, 6, 2, 91]);
        assert_eq!(
            spc_emulate_inquiry(&dev, &tcm_loop(), true, 0x83, &mut []),
            Ok(165)
        );
    }

    #[test]
    fn supported_vpd_pages_match_sg_vpd() {
        let names = [
            ("Supported VPD pages [sv]", 0x00),
            ("Unit serial number [sn]", 0x80),
            ("Device identification [di]", 0x83),
            ("Extended inquiry data [ei]", 0x86),
            ("Block limits (SBC) [bl]", 0xb0),
            ("Block device characteristics (SBC) [bdc]", 0xb1),
            ("Logical block provisioning (SBC) [lbpv]", 0xb2),
            ("Referrals (SBC) [ref]", 0xb3),
        ];
        let section = probe_section(SG_VPD, "Supported VPD pages VPD page:");
        let listed: Vec<u8> = section
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| names.iter().find(|(n, _)| *n == l.trim()).unwrap().1)
            .collect();
        let d = inquiry(true, 0x00);
        assert_eq!(&d[..4], &[0, 0, 0, listed.len() as u8]);
        assert_eq!(&d[4..], &listed[..]);
        // Without a unit serial LIO lists nothing.
        let mut dev = rd0();
        dev.unit_serial = None;
        let mut buf = [0u8; 64];
        assert_eq!(
            spc_emulate_inquiry(&dev, &tcm_loop(), true, 0, &mut buf),
            Ok(4)
        );
        assert_eq!(
            spc_emulate_inquiry(&dev, &tcm_loop(), true, 0x80, &mut buf),
            Ok(4)
        );
    }

    #[test]
    fn unit_serial_page_matches_sg_vpd() {
        let d = inquiry(true, 0x80);
        assert_eq!(&d[..4], &[0, 0x80, 0, SERIAL.len() as u8 + 1]);
        assert_eq!(&d[4..4 + SERIAL.len()], SERIAL);
        assert_eq!(d[4 + SERIAL.len()], 0);
        assert_eq!(
            probe_section(SG_VPD, "Unit serial number VPD page:"),
            "Unit serial number VPD page:\n  Unit serial number: <UUID>\n"
        );
    }

    /// Renders a DEVICE IDENTIFICATION page the way `sg_vpd` prints it (for the designator
    /// types LIO emits), with the probes' normalisation of serials.
    fn render_vpd_83(d: &[u8]) -> String {
        let page_end = 4 + usize::from(u16::from_be_bytes([d[2], d[3]]));
        let mut out = String::from("Device Identification VPD page:\n");
        let headers = [
            "  Addressed logical unit:\n",
            "  Target port:\n",
            "  Target device that contains addressed lu:\n",
        ];
        for (assoc, header) in headers.iter().enumerate() {
            let mut off = 4;
            let mut first = true;
            while off + 4 <= page_end {
                let (b0, b1, len) = (d[off], d[off + 1], usize::from(d[off + 3]));
                let val = &d[off + 4..off + 4 + len];
                off += 4 + len;
                if usize::from((b1 >> 4) & 3) != assoc {
                    continue;
                }
                if first {
                    out.push_str(header);
                    first = false;
                }
                let kind = match b1 & 0xf {
                    1 => "T10 vendor identification",
                    3 => "NAA",
                    4 => "Relative target port",
                    5 => "Target port group",
                    6 => "Logical unit group",
                    8 => "SCSI name string",
                    t => panic!("designator type {t}"),
                };
                let code_set = match b0 & 0xf {
                    1 => "Binary",
                    2 => "ASCII",
                    3 => "UTF-8",
                    c => panic!("code set {c}"),
                };
                out.push_str(&format!(
                    "    designator type: {kind},  code set: {code_set}\n"
                ));
                if b1 & 0x80 != 0 && assoc != 0 {
                    assert_eq!(b0 >> 4, SCSI_PROTOCOL_SAS);
                    out.push_str("     transport: Serial Attached SCSI Protocol (SPL-4)\n");
                }
                let cstr = |v: &[u8]| {
                    let n = v.iter().position(|&c| c == 0).unwrap_or(v.len());
                    String::from_utf8(v[..n].to_vec()).unwrap()
                };
                let be16 = |v: &[u8]| u16::from_be_bytes([v[2], v[3]]);
                match b1 & 0xf {
                    1 => {
                        out.push_str(&format!("      vendor id: {}\n", cstr(&val[..8])));
                        out.push_str(&format!("      vendor specific: {}\n", cstr(&val[8..])));
                    }
                    3 => out.push_str(&format!("      0x{}\n", hex(val))),
                    4 => out.push_str(&format!("      Relative target port: 0x{:x}\n", be16(val))),
                    5 => out.push_str(&format!("      Target port group: 0x{:x}\n", be16(val))),
                    6 => out.push_str(&format!("      Logical unit group: 0x{:x}\n", be16(val))),
                    _ => out.push_str(&format!("      SCSI name string:\n      {}\n", cstr(val))),
                }
            }
        }
        let naa = hex(&spc_gen_naa_6h_vendor_specific(0x001405, SERIAL));
        assert!(naa.starts_with("6001405") && naa.len() == 32);
        out.replace(&naa, "6001405<SERIAL>")
            .replace(core::str::from_utf8(SERIAL).unwrap(), "<UUID>")
    }

    #[test]
    fn device_identification_matches_sg_vpd() {
        let d = inquiry(true, 0x83);
        assert_eq!(
            render_vpd_83(&d),
            probe_section(SG_VPD, "Device Identification VPD page:")
        );
        // Byte for byte, in LIO's designator order.
        let mut want = Vec::new();
        want.extend_from_slice(&[0x00, 0x83, 0x00, 0x00]);
        want.extend_from_slice(&[0x01, 0x03, 0x00, 0x10]);
        want.extend_from_slice(&spc_gen_naa_6h_vendor_specific(0x001405, SERIAL));
        want.extend_from_slice(&[0x02, 0x01, 0x00, 8 + 4 + SERIAL.len() as u8 + 1]);
        want.extend_from_slice(b"LIO-ORG rd0:");
        want.extend_from_slice(SERIAL);
        want.push(0);
        want.extend_from_slice(&[0x61, 0x94, 0x00, 0x04, 0, 0, 0x00, 0x00]); // RTPI 0
        want.extend_from_slice(&[0x61, 0x95, 0x00, 0x04, 0, 0, 0x00, 0x00]); // TPG 0
        want.extend_from_slice(&[0x01, 0x06, 0x00, 0x04, 0, 0, 0x00, 0x00]); // LU group 0
        want.extend_from_slice(&[0x63, 0x98, 0x00, 32]);
        want.extend_from_slice(b"naa.50014050aabbccdd,t,0x0001\0\0\0");
        want.extend_from_slice(&[0x63, 0xa8, 0x00, 24]);
        want.extend_from_slice(b"naa.50014050aabbccdd\0\0\0\0");
        let page_len = (want.len() - 4) as u16;
        want[2..4].copy_from_slice(&page_len.to_be_bytes());
        assert_eq!(d, want);
    }

    #[test]
    fn device_identification_variants() {
        // No serial: no NAA, a T10 designator with the vendor and a NUL only; iSCSI name.
        let mut dev = rd0();
        dev.unit_serial = None;
        dev.lu_gp_id = None;
        let mut port = tcm_loop();
        port.proto_id = SCSI_PROTOCOL_ISCSI;
        port.tg_pt_gp = None;
        port.tpg_rtpi = 0x1234;
        port.tpgt = 0xab;
        port.tpg_wwn = b"iqn.2003-01.org.linux-iscsi:t1";
        let mut buf = [0u8; 512];
        let len = spc_emulate_inquiry(&dev, &port, true, 0x83, &mut buf).unwrap();
        let d = &buf[..len];
        assert_eq!(&d[4..8], &[0x02, 0x01, 0x00, 9]);
        assert_eq!(&d[8..17], b"LIO-ORG \0");
        assert_eq!(&d[17..25], &[0x51, 0x94, 0, 4, 0, 0, 0x12, 0x34]);
        let name = b"iqn.2003-01.org.linux-iscsi:t1,t,0x00ab";
        assert_eq!(&d[25..29], &[0x53, 0x98, 0, 40]);
        assert_eq!(&d[29..29 + name.len()], name);
        assert_eq!(&d[69..73], &[0x53, 0xa8, 0, 32]);
        assert_eq!(len, 73 + 32);
        // Names longer than 256 bytes are cut at 256 (LIO then stores 0 in the length byte).
        let long = [b'x'; 300];
        port.tpg_wwn = &long;
        let len = spc_emulate_inquiry(&dev, &port, true, 0x83, &mut buf).unwrap();
        assert_eq!(buf[28], 0);
        assert_eq!(len, 4 + 13 + 8 + 260 + 260);
    }

    #[test]
    fn naa_designator_from_serial() {
        let naa = spc_gen_naa_6h_vendor_specific(0x001405, b"01234567-89ab-cdef-0123-456789abcdef");
        assert_eq!(
            naa,
            [
                0x60, 0x01, 0x40, 0x50, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34,
                0x56, 0x78
            ]
        );
        // Short or hex-less serials leave zeros; a NUL ends the serial.
        assert_eq!(
            spc_gen_naa_6h_vendor_specific(0xabcdef, b"z9\0ff"),
            [0x6a, 0xbc, 0xde, 0xf9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn extended_inquiry_matches_sg_vpd() {
        let d = inquiry(true, 0x86);
        assert_eq!(d.len(), 64);
        let section = probe_section(SG_VPD, "extended INQUIRY data VPD page:");
        let fields = [
            ("SPT", (d[4] >> 3) & 7),
            ("GRD_CHK", (d[4] >> 2) & 1),
            ("APP_CHK", (d[4] >> 1) & 1),
            ("REF_CHK", d[4] & 1),
            ("UASK_SUP", (d[5] >> 5) & 1),
            ("GROUP_SUP", (d[5] >> 4) & 1),
            ("PRIOR_SUP", (d[5] >> 3) & 1),
            ("HEADSUP", (d[5] >> 2) & 1),
            ("ORDSUP", (d[5] >> 1) & 1),
            ("SIMPSUP", d[5] & 1),
            ("WU_SUP", (d[6] >> 3) & 1),
            ("NV_SUP", (d[6] >> 1) & 1),
            ("V_SUP", d[6] & 1),
            ("LUICLR", d[7] & 1),
            ("R_SUP", (d[8] >> 4) & 1),
        ];
        for (key, ours) in fields {
            assert_eq!(probe_kv(section, key), format!("{ours}"), "{key}");
        }
        let mut want = [0u8; 64];
        want[1] = 0x86;
        want[3] = 0x3c;
        want[5] = 0x07;
        assert_eq!(d, want);
        // WCE: V_SUP; LBA map: R_SUP; type 1 PI: SPT, GRD_CHK, REF_CHK.
        let mut dev = rd0();
        dev.emulate_write_cache = true;
        dev.lba_map = Some(LbaMap::default());
        dev.pi_prot_type = TARGET_DIF_TYPE1_PROT;
        let mut buf = [0u8; 64];
        spc_emulate_inquiry(&dev, &tcm_loop(), true, 0x86, &mut buf).unwrap();
        assert_eq!(&buf[4..9], &[0x1d, 0x07, 0x01, 0x00, 0x10]);
        dev.pi_prot_type = TARGET_DIF_TYPE3_PROT;
        spc_emulate_inquiry(&dev, &tcm_loop(), true, 0x86, &mut buf).unwrap();
        assert_eq!(buf[4], 0x1c);
    }

    #[test]
    fn block_limits_match_sg_vpd() {
        let d = inquiry(true, 0xb0);
        let s = probe_section(SG_VPD, "Block limits VPD page (SBC):");
        let be32 = |o: usize| u64::from(u32::from_be_bytes([d[o], d[o + 1], d[o + 2], d[o + 3]]));
        assert_eq!(
            probe_num(s, "Write same non-zero (WSNZ): "),
            u64::from(d[4] & 1)
        );
        assert_eq!(
            probe_num(s, "Maximum compare and write length: "),
            u64::from(d[5])
        );
        assert_eq!(
            probe_num(s, "Optimal transfer length granularity: "),
            u64::from(u16::from_be_bytes([d[6], d[7]]))
        );
        assert_eq!(probe_num(s, "Maximum transfer length: "), be32(8));
        assert_eq!(probe_num(s, "Optimal transfer length: "), be32(12));
        assert_eq!(probe_num(s, "Maximum prefetch transfer length: "), be32(16));
        // Page length 0x10 without thin provisioning (no unmap fields shown by sg_vpd).
        assert_eq!(d.len(), 20);
        assert_eq!(
            d,
            [
                0, 0xb0, 0, 0x10, 1, 1, 0, 1, 0xff, 0xff, 0xff, 0xf8, 0xff, 0xff, 0xff, 0xf8, 0, 0,
                0, 0
            ]
        );
    }

    #[test]
    fn block_limits_with_thin_provisioning_and_fabric_limit() {
        let mut dev = rd0();
        dev.emulate_tpu = true;
        dev.max_unmap_lba_count = 0x1_0000;
        dev.max_unmap_block_desc_count = 1;
        dev.unmap_granularity = 8;
        dev.unmap_granularity_alignment = 4;
        dev.max_write_same_len = 0x1000;
        dev.emulate_caw = false;
        dev.io_min = 4096;
        dev.io_opt = 65536;
        let mut port = tcm_loop();
        port.max_data_sg_nents = 256; // 1 MiB
        let mut buf = [0u8; 64];
        assert_eq!(
            spc_emulate_inquiry(&dev, &port, true, 0xb0, &mut buf),
            Ok(64)
        );
        assert_eq!(&buf[..8], &[0, 0xb0, 0, 0x3c, 1, 0, 0, 8]);
        assert_eq!(&buf[8..16], &[0, 0, 0x08, 0, 0, 0, 0, 128]);
        assert_eq!(
            &buf[20..36],
            &[0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 8, 0x80, 0, 0, 4]
        );
        assert_eq!(&buf[36..44], &[0, 0, 0, 0, 0, 0, 0x10, 0]);
        // hw_block_size 4096 exported as 512: hw_max_sectors scaled (mult_frac).
        dev.hw_block_size = 4096;
        dev.hw_max_sectors = 1024;
        port.max_data_sg_nents = 0;
        spc_emulate_inquiry(&dev, &port, true, 0xb0, &mut buf).unwrap();
        assert_eq!(&buf[8..12], &8192u32.to_be_bytes());
        // A zero block size does not divide by zero.
        dev.block_size = 0;
        assert!(spc_emulate_inquiry(&dev, &port, true, 0xb0, &mut buf).is_ok());
    }

    #[test]
    fn characteristics_provisioning_referrals_match_sg_vpd() {
        let b1 = inquiry(true, 0xb1);
        let s = probe_section(SG_VPD, "Block device characteristics VPD page (SBC):");
        assert!(s.contains("Non-rotating medium (e.g. solid state)"));
        assert!(s.contains("Product type: Not specified"));
        assert!(s.contains("Nominal form factor not reported"));
        let mut want = [0u8; 64];
        want[1] = 0xb1;
        want[3] = 0x3c;
        want[5] = 1; // MEDIUM ROTATION RATE 0001h
        assert_eq!(b1, want);

        let b2 = inquiry(true, 0xb2);
        let s = probe_section(SG_VPD, "Logical block provisioning VPD page (SBC):");
        for label in [
            "Unmap command supported (LBPU): ",
            "Write same (16) with unmap bit supported (LBPWS): ",
            "Write same (10) with unmap bit supported (LBPWS10): ",
            "Logical block provisioning read zeros (LBPRZ): ",
            "Descriptor present (DP): ",
        ] {
            assert_eq!(probe_num(s, label), 0, "{label}");
        }
        assert_eq!(b2, [0, 0xb2, 0, 4, 0, 0, 0, 0]);
        let mut dev = rd0();
        dev.emulate_tpu = true;
        dev.emulate_tpws = true;
        dev.unmap_zeroes_data = true;
        let mut buf = [0u8; 8];
        spc_emulate_inquiry(&dev, &tcm_loop(), true, 0xb2, &mut buf).unwrap();
        assert_eq!(buf[5], 0x80 | 0x40 | 0x20 | 0x04);

        let b3 = inquiry(true, 0xb3);
        let s = probe_section(SG_VPD, "Referrals VPD page (SBC):");
        assert_eq!(probe_num(s, "User data segment size: "), 0);
        assert_eq!(probe_num(s, "User data segment multiplier: "), 0);
        assert_eq!(b3, [0, 0xb3, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    /// The hex dump lines sg_modes prints after `marker`, as bytes.
    fn probe_hex_after(text: &str, marker: &str) -> Vec<u8> {
        let start = text.find(marker).unwrap() + marker.len();
        let mut out = Vec::new();
        for line in text[start..].lines().skip(1) {
            let t = line.trim_start();
            if line.starts_with(" 00 ") || line.starts_with(" 10 ") {
                out.extend(
                    t.split_whitespace()
                        .skip(1)
                        .map(|b| u8::from_str_radix(b, 16).unwrap()),
                );
            } else if t.starts_with("Density") {
                continue;
            } else {
                break;
            }
        }
        out
    }

    fn mode_sense(
        dev: &DeviceInfo<'_>,
        port: &PortInfo<'_>,
        cdb: &[u8],
    ) -> Result<Vec<u8>, SenseReason> {
        let Ok(ScsiCdb::ModeSense(ms)) = decode_cdb(cdb) else {
            panic!("not MODE SENSE")
        };
        let mut buf = [0xeeu8; SE_MODE_PAGE_BUF];
        let len = spc_emulate_modesense(dev, port, &ms, &mut buf)?;
        Ok(buf[..len].to_vec())
    }

    #[test]
    fn mode_sense_10_all_pages_matches_sg_modes() {
        // sg_modes -a: MODE SENSE (10), PC current, page 3Fh.
        let d = mode_sense(
            &rd0(),
            &tcm_loop(),
            &[MODE_SENSE_10, 0, 0x3f, 0, 0, 0, 0, 0x20, 0, 0],
        )
        .unwrap();
        assert_eq!(
            probe_kv(SG_MODES, "Mode data length"),
            format!("{}", u16::from_be_bytes([d[0], d[1]]) + 2)
        );
        assert_eq!(probe_kv(SG_MODES, "medium type"), format!("0x{:02x}", d[2]));
        assert_eq!(probe_kv(SG_MODES, "WP"), format!("{}", d[3] >> 7));
        assert_eq!(probe_kv(SG_MODES, "DpoFua"), format!("{}", (d[3] >> 4) & 1));
        assert_eq!(probe_kv(SG_MODES, "longlba"), format!("{}", d[4] & 1));
        assert_eq!(
            probe_kv(SG_MODES, "Block descriptor length"),
            format!("{}", u16::from_be_bytes([d[6], d[7]]))
        );
        let mut want = probe_hex_after(SG_MODES, "> Direct access device block descriptors:");
        for page in [
            ">> Read-Write error recovery, page_control: current",
            ">> Caching, page_control: current",
            ">> Control, page_control: current",
            ">> Informational exceptions control, page_control: current",
        ] {
            want.extend(probe_hex_after(SG_MODES, page));
        }
        assert_eq!(want.len(), 64);
        assert_eq!(&d[8..], &want[..]);
        assert_eq!(d.len(), 72);
    }

    #[test]
    fn mode_sense_6_and_page_selection() {
        let (dev, port) = (rd0(), tcm_loop());
        let all10 = mode_sense(
            &dev,
            &port,
            &[MODE_SENSE_10, 0, 0x3f, 0, 0, 0, 0, 0x20, 0, 0],
        )
        .unwrap();
        // MODE SENSE (6): 4-byte header, same descriptor and pages.
        let d = mode_sense(&dev, &port, &[MODE_SENSE, 0, 0x3f, 0, 0xff, 0]).unwrap();
        assert_eq!(d.len(), 68);
        assert_eq!(&d[..4], &[67, 0, 0, 8]);
        assert_eq!(&d[4..], &all10[8..]);
        // Subpage FFh is all pages too; other subpages of 3Fh are invalid.
        assert_eq!(
            mode_sense(&dev, &port, &[MODE_SENSE, 0, 0x3f, 0xff, 0xff, 0]).unwrap(),
            d
        );
        assert_eq!(
            mode_sense(&dev, &port, &[MODE_SENSE, 0, 0x3f, 0x01, 0xff, 0]),
            Err(SenseReason::InvalidCdbField)
        );
        // One page, DBD.
        let c = mode_sense(&dev, &port, &[MODE_SENSE, 0x08, 0x0a, 0, 0xff, 0]).unwrap();
        assert_eq!(
            c,
            [15, 0, 0, 0, 0x0a, 0x0a, 0x02, 0x10, 0x00, 0x40, 0, 0, 0xff, 0xff, 0, 30]
        );
        // Unknown pages (03h, the obsolete format page, too) and subpages.
        for page in [0x00, 0x02, 0x03, 0x19, 0x3e] {
            assert_eq!(
                mode_sense(&dev, &port, &[MODE_SENSE, 0, page, 0, 0xff, 0]),
                Err(SenseReason::UnknownModePage)
            );
        }
        assert_eq!(
            mode_sense(&dev, &port, &[MODE_SENSE, 0, 0x08, 0x01, 0xff, 0]),
            Err(SenseReason::UnknownModePage)
        );
        // PC = 1 (changeable): page headers only.
        let ch = mode_sense(&dev, &port, &[MODE_SENSE, 0x08, 0x48, 0, 0xff, 0]).unwrap();
        assert_eq!(ch.len(), 24);
        assert_eq!(&ch[4..6], &[0x08, 0x12]);
        assert!(ch[6..].iter().all(|&b| b == 0));
        // PC = 2/3 (default/saved) read as current.
        let sv = mode_sense(&dev, &port, &[MODE_SENSE, 0x08, 0xc8, 0, 0xff, 0]).unwrap();
        assert_eq!(sv[4 + 12], 0x20);
    }

    #[test]
    fn mode_sense_header_bits_and_descriptors() {
        let mut dev = rd0();
        let mut port = tcm_loop();
        port.lun_access_ro = true;
        dev.emulate_write_cache = true;
        let d = mode_sense(&dev, &port, &[MODE_SENSE, 0, 0x08, 0, 0xff, 0]).unwrap();
        assert_eq!(d[2], 0x80 | 0x10); // WP, DPOFUA
        assert_eq!(d[4 + 8 + 2], 0x04); // WCE
        dev.emulate_fua_write = false;
        let d = mode_sense(&dev, &port, &[MODE_SENSE, 0, 0x08, 0, 0xff, 0]).unwrap();
        assert_eq!(d[2], 0x80);
        // A backend's own cache state wins over emulate_write_cache.
        dev.get_write_cache = Some(false);
        let d = mode_sense(&dev, &port, &[MODE_SENSE, 0, 0x08, 0, 0xff, 0]).unwrap();
        assert_eq!(d[4 + 8 + 2], 0);

        // Past 2^32 blocks: capped short descriptor, D_SENSE; LLBAA gives the long one.
        let mut big = rd0();
        big.last_lba = 0x1_0000_0000;
        let port = tcm_loop();
        let d = mode_sense(
            &big,
            &port,
            &[MODE_SENSE_10, 0, 0x0a, 0, 0, 0, 0, 0xff, 0, 0],
        )
        .unwrap();
        assert_eq!(
            &d[..16],
            &[0, 26, 0, 0, 0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0, 0, 2, 0]
        );
        assert_eq!(d[16 + 2], 0x02 | 0x04);
        let d = mode_sense(
            &big,
            &port,
            &[MODE_SENSE_10, 0x10, 0x0a, 0, 0, 0, 0, 0xff, 0, 0],
        )
        .unwrap();
        assert_eq!(
            &d[..24],
            &[0, 34, 0, 0, 1, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0]
        );
        assert_eq!(&d[24..26], &[0x0a, 0x0a]);
        // LLBAA with a small device: the short descriptor.
        let d = mode_sense(
            &rd0(),
            &port,
            &[MODE_SENSE_10, 0x10, 0x0a, 0, 0, 0, 0, 0xff, 0, 0],
        )
        .unwrap();
        assert_eq!(&d[4..16], &[0, 0, 0, 8, 0, 1, 0xff, 0xff, 0, 0, 2, 0]);
        // DBD with MODE SENSE (10): 8-byte header only.
        let d = mode_sense(
            &rd0(),
            &port,
            &[MODE_SENSE_10, 0x08, 0x1c, 0, 0, 0, 0, 0xff, 0, 0],
        )
        .unwrap();
        assert_eq!(
            d,
            [0, 18, 0, 0, 0, 0, 0, 0, 0x1c, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        // Control page attributes.
        let mut dev = rd0();
        dev.emulate_rest_reord = true;
        dev.emulate_tas = false;
        dev.emulate_ua_intlck_ctrl = TARGET_UA_INTLCK_CTRL_ESTABLISH_UA;
        let d = mode_sense(&dev, &port, &[MODE_SENSE, 0x08, 0x0a, 0, 0xff, 0]).unwrap();
        assert_eq!(&d[6..10], &[0x02, 0x00, 0x30, 0x00]);
        dev.emulate_ua_intlck_ctrl = TARGET_UA_INTLCK_CTRL_NO_CLEAR;
        dev.pi_prot_type = TARGET_DIF_TYPE1_PROT;
        let d = mode_sense(&dev, &port, &[MODE_SENSE, 0x08, 0x0a, 0, 0xff, 0]).unwrap();
        assert_eq!(&d[8..10], &[0x20, 0x80]);
        // Truncated by a small allocation length, full length returned.
        let Ok(ScsiCdb::ModeSense(ms)) = decode_cdb(&[MODE_SENSE, 0, 0x3f, 0, 4, 0]) else {
            panic!()
        };
        let mut small = [0u8; 4];
        assert_eq!(
            spc_emulate_modesense(&rd0(), &port, &ms, &mut small),
            Ok(68)
        );
        assert_eq!(small, [67, 0, 0, 8]);
    }

    fn mode_select(param: &[u8], ten: bool, pf: bool) -> Result<(), SenseReason> {
        let cdb = ModeSelectCdb {
            ten,
            pf,
            sp: false,
            param_len: param.len() as u16,
        };
        spc_emulate_modeselect(&rd0(), &tcm_loop(), &cdb, param)
    }

    #[test]
    fn mode_select_accepts_only_the_current_page() {
        let caching: [u8; 20] = [
            0x08, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0,
        ];
        let mut p6 = std::vec![0u8, 0, 0, 0];
        p6.extend_from_slice(&caching);
        assert_eq!(mode_select(&p6, false, true), Ok(()));
        let mut p10 = std::vec![0u8; 8];
        p10.extend_from_slice(&caching);
        assert_eq!(mode_select(&p10, true, true), Ok(()));
        // Turning WCE on is a change LIO refuses.
        let mut wce = p6.clone();
        wce[4 + 2] = 0x04;
        assert_eq!(
            mode_select(&wce, false, true),
            Err(SenseReason::InvalidParameterList)
        );
        // PS bit set: differs too.
        let mut ps = p6.clone();
        ps[4] |= 0x80;
        assert_eq!(
            mode_select(&ps, false, true),
            Err(SenseReason::InvalidParameterList)
        );
        assert_eq!(
            mode_select(&p6, false, false),
            Err(SenseReason::InvalidCdbField)
        );
        assert_eq!(mode_select(&[], false, false), Ok(()));
        assert_eq!(
            mode_select(&p6[..5], false, true),
            Err(SenseReason::ParameterListLengthError)
        );
        assert_eq!(
            mode_select(&p6[..10], false, true),
            Err(SenseReason::ParameterListLengthError)
        );
        assert_eq!(
            mode_select(&p10[..9], true, true),
            Err(SenseReason::ParameterListLengthError)
        );
        let mut unknown = p6.clone();
        unknown[4] = 0x02;
        assert_eq!(
            mode_select(&unknown, false, true),
            Err(SenseReason::UnknownModePage)
        );
        let mut sub = p6.clone();
        sub[4] = 0x48;
        sub[5] = 0x01;
        assert_eq!(
            mode_select(&sub, false, true),
            Err(SenseReason::UnknownModePage)
        );
        // Every page LIO has round-trips through MODE SENSE -> MODE SELECT.
        for page in MODE_PAGES {
            let d = mode_sense(&rd0(), &tcm_loop(), &[MODE_SENSE, 0x08, page, 0, 0xff, 0]).unwrap();
            let mut p = std::vec![0u8; 4];
            p.extend_from_slice(&d[4..]);
            assert_eq!(mode_select(&p, false, true), Ok(()), "page {page:#x}");
        }
    }

    #[test]
    fn request_sense_no_sense_or_unit_attention() {
        let mut buf = [0xffu8; 252];
        assert_eq!(
            spc_emulate_request_sense(&rd0(), false, 252, None, &mut buf),
            Ok(252)
        );
        let mut want = [0u8; 252];
        want[0] = 0x70;
        want[7] = 0x0a;
        assert_eq!(buf, want);
        let ua = UnitAttention {
            asc: 0x29,
            ascq: 0x07,
        };
        spc_emulate_request_sense(&rd0(), false, 18, Some(ua), &mut buf[..18]).unwrap();
        assert_eq!(
            &buf[..18],
            &[0x70, 0, 6, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x29, 0x07, 0, 0, 0, 0]
        );
        assert_eq!(
            spc_emulate_request_sense(&rd0(), true, 18, None, &mut buf),
            Err(SenseReason::InvalidCdbField)
        );
        // Descriptor format past 2^32 blocks.
        let mut big = rd0();
        big.last_lba = 0x1_0000_0000;
        spc_emulate_request_sense(&big, false, 8, Some(ua), &mut buf[..8]).unwrap();
        assert_eq!(&buf[..8], &[0x72, 6, 0x29, 0x07, 0, 0, 0, 0]);
        assert_eq!(
            spc_emulate_request_sense(&rd0(), false, 0, None, &mut []),
            Ok(0)
        );
    }

    #[test]
    fn report_luns_matches_sg_luns() {
        let mut buf = [0xffu8; 64];
        let len = spc_emulate_report_luns(&[0], &mut buf);
        assert_eq!(probe_kv(SG_LUNS, "select_report"), "0x0");
        assert!(SG_LUNS.contains(&format!(
            "Lun list length = {} ",
            u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]])
        )));
        assert!(SG_LUNS.contains(&format!("\n    {}\n", hex(&buf[8..16]))));
        assert_eq!(len, 16);
        assert_eq!(
            &buf[..16],
            &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        // No mapped LUNs: LUN 0 all the same.
        assert_eq!(spc_emulate_report_luns(&[], &mut buf), 16);
        assert_eq!(
            &buf[..16],
            &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn report_luns_encoding_and_truncation() {
        let luns = [0u64, 1, 255, 256, 0x3fff, 0x0b03_d204];
        let mut buf = [0u8; 64];
        assert_eq!(spc_emulate_report_luns(&luns, &mut buf), 8 + 6 * 8);
        assert_eq!(&buf[..8], &[0, 0, 0, 48, 0, 0, 0, 0]);
        assert_eq!(&buf[16..24], &[0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&buf[24..32], &[0, 0xff, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&buf[32..40], &[0x01, 0x00, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&buf[40..48], &[0x3f, 0xff, 0, 0, 0, 0, 0, 0]);
        // int_to_scsilun()'s own example.
        assert_eq!(&buf[48..56], &[0xd2, 0x04, 0x0b, 0x03, 0, 0, 0, 0]);
        for lun in luns {
            assert_eq!(scsilun_to_int(&int_to_scsilun(lun)), lun);
        }
        // An allocation length inside the second entry: the list length still counts all.
        let mut small = [0u8; 20];
        assert_eq!(spc_emulate_report_luns(&luns, &mut small), 56);
        assert_eq!(&small[..4], &[0, 0, 0, 48]);
        assert_eq!(&small[16..20], &[0, 1, 0, 0]);
        let mut tiny = [0u8; 2];
        assert_eq!(spc_emulate_report_luns(&luns, &mut tiny), 56);
        assert_eq!(tiny, [0, 0]);
    }

    fn rsoc(dev: &DeviceInfo<'_>, ops: &ExecCmdOps, cdb: &[u8]) -> Result<Vec<u8>, SenseReason> {
        let Ok(ScsiCdb::ReportSupportedOpcodes(r)) = decode_cdb(cdb) else {
            panic!("not RSOC")
        };
        let mut buf = [0xeeu8; 2048];
        let len = spc_emulate_report_supp_op_codes(dev, &tcm_loop(), ops, &r, &mut buf)?;
        Ok(buf[..len].to_vec())
    }

    fn rsoc_cdb(options: u8, rctd: bool, opcode: u8, sa: u16) -> [u8; 12] {
        let sa = sa.to_be_bytes();
        [
            MAINTENANCE_IN,
            MI_REPORT_SUPPORTED_OPERATION_CODES,
            options | if rctd { 0x80 } else { 0 },
            opcode,
            sa[0],
            sa[1],
            0,
            0,
            0x10,
            0,
            0,
            0,
        ]
    }

    #[test]
    fn rsoc_all_commands_for_rd_mcp() {
        let d = rsoc(&rd0(), &ExecCmdOps::RD_MCP, &rsoc_cdb(0, false, 0, 0)).unwrap();
        // rd_mcp has no write same / unmap, no LBA map: 52 - 5 descriptors.
        assert_eq!(d.len(), 4 + 47 * 8);
        assert_eq!(&d[..4], &((47 * 8) as u32).to_be_bytes());
        let descs: Vec<&[u8]> = d[4..].chunks(8).collect();
        assert_eq!(descs[0], &[READ_6, 0, 0, 0, 0, 0, 0, 6]);
        assert_eq!(descs[1], &[READ_10, 0, 0, 0, 0, 0, 0, 10]);
        assert_eq!(descs[10], &[COMPARE_AND_WRITE, 0, 0, 0, 0, 0, 0, 16]);
        assert_eq!(descs[12], &[SERVICE_ACTION_IN_16, 0, 0, 0x10, 0, 1, 0, 16]);
        assert_eq!(descs[46], &[MAINTENANCE_OUT, 0, 0, 0x0a, 0, 1, 0, 12]);
        assert!(!descs
            .iter()
            .any(|d| d[0] == UNMAP || d[0] == WRITE_SAME || d[0] == VARIABLE_LENGTH_CMD));
        // RCTD: a 12-byte timeouts descriptor after each, CTDP set.
        let d = rsoc(&rd0(), &ExecCmdOps::RD_MCP, &rsoc_cdb(0, true, 0, 0)).unwrap();
        assert_eq!(d.len(), 4 + 47 * 20);
        assert_eq!(
            &d[4..24],
            &[READ_6, 0, 0, 0, 0, 2, 0, 6, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        // fileio with thin provisioning: everything but REPORT REFERRALS.
        let mut dev = rd0();
        dev.emulate_tpu = true;
        let d = rsoc(&dev, &ExecCmdOps::FILEIO, &rsoc_cdb(0, false, 0, 0)).unwrap();
        assert_eq!(d.len(), 4 + 51 * 8);
        // PR off: only READ KEYS / READ RESERVATION remain (LIO gates only the others).
        dev.emulate_pr = false;
        let d = rsoc(&dev, &ExecCmdOps::FILEIO, &rsoc_cdb(0, false, 0, 0)).unwrap();
        let prs = d[4..]
            .chunks(8)
            .filter(|c| matches!(c[0], 0x5e | 0x5f | 0x16 | 0x17 | 0x56 | 0x57))
            .count();
        assert_eq!(prs, 2);
        // PGR passthrough hides RESERVE/RELEASE, REGISTER AND MOVE, READ FULL STATUS.
        dev.emulate_pr = true;
        dev.passthrough_pgr = true;
        let d = rsoc(&dev, &ExecCmdOps::FILEIO, &rsoc_cdb(0, false, 0, 0)).unwrap();
        assert_eq!(d.len(), 4 + (51 - 6) * 8);
        dev.emulate_rsoc = false;
        assert_eq!(
            rsoc(&dev, &ExecCmdOps::FILEIO, &rsoc_cdb(0, false, 0, 0)),
            Err(SenseReason::UnsupportedScsiOpcode)
        );
    }

    #[test]
    fn rsoc_one_command() {
        let ops = ExecCmdOps::RD_MCP;
        // READ (10) without FUA: DPO/FUA usage bits cleared.
        let d = rsoc(&rd0(), &ops, &rsoc_cdb(1, false, READ_10, 0)).unwrap();
        assert_eq!(
            d,
            [0, 3, 0, 10, READ_10, 0xe0, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0]
        );
        let mut wce = rd0();
        wce.emulate_write_cache = true;
        let d = rsoc(&wce, &ops, &rsoc_cdb(1, true, WRITE_16, 0)).unwrap();
        assert_eq!(d.len(), 4 + 16 + 12);
        assert_eq!(&d[..6], &[0, 0x83, 0, 16, WRITE_16, 0xf8]);
        assert_eq!(&d[20..24], &[0, 0x0a, 0, 0]);
        // Service actions: options 2 with the SA; 1 on such an opcode is invalid, 2 on one
        // without service actions too.
        let d = rsoc(
            &rd0(),
            &ops,
            &rsoc_cdb(2, false, SERVICE_ACTION_IN_16, 0x10),
        )
        .unwrap();
        assert_eq!(&d[..6], &[0, 3, 0, 16, 0x9e, 0x10]);
        assert_eq!(
            rsoc(&rd0(), &ops, &rsoc_cdb(1, false, SERVICE_ACTION_IN_16, 0)),
            Err(SenseReason::InvalidCdbField)
        );
        assert_eq!(
            rsoc(&rd0(), &ops, &rsoc_cdb(2, false, READ_10, 0)),
            Err(SenseReason::InvalidCdbField)
        );
        // Unknown or disabled: "not supported", two bytes.
        assert_eq!(
            rsoc(&rd0(), &ops, &rsoc_cdb(1, false, 0xe7, 0)).unwrap(),
            [0, 1]
        );
        assert_eq!(
            rsoc(&rd0(), &ops, &rsoc_cdb(1, true, UNMAP, 0)).unwrap(),
            [0, 0x81]
        );
        assert_eq!(
            rsoc(
                &rd0(),
                &ops,
                &rsoc_cdb(2, false, SERVICE_ACTION_IN_16, 0x13)
            )
            .unwrap(),
            [0, 1]
        );
        // Options 3: opcode and service action, whether or not service actions exist.
        let d = rsoc(&rd0(), &ops, &rsoc_cdb(3, false, INQUIRY, 0)).unwrap();
        assert_eq!(d, [0, 3, 0, 6, INQUIRY, 0x01, 0xff, 0xff, 0xff, 0]);
        // WRITE SAME (32) usage data, with the DPO/FUA bits at byte 10.
        let mut dev = wce;
        dev.emulate_tpws = true;
        let d = rsoc(
            &dev,
            &ExecCmdOps::FILEIO,
            &rsoc_cdb(3, false, VARIABLE_LENGTH_CMD, 0x0d),
        )
        .unwrap();
        assert_eq!(d.len(), 36);
        assert_eq!(&d[4..16], &[0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0, 0x0d, 0xf8, 0]);
        // The SET TARGET PORT GROUPS entry needs explicit ALUA on the LUN's group.
        let mut port = tcm_loop();
        port.tg_pt_gp = Some(TgPtGp {
            tg_pt_gp_id: 1,
            alua_access_type: TPGS_IMPLICIT_ALUA,
            ..TgPtGp::DEFAULT
        });
        let r = RsocCdb {
            rctd: false,
            options: 2,
            opcode: MAINTENANCE_OUT,
            service_action: 0x0a,
            alloc_len: 64,
        };
        let mut buf = [0u8; 64];
        assert_eq!(
            spc_emulate_report_supp_op_codes(&rd0(), &port, &ops, &r, &mut buf),
            Ok(2)
        );
    }

    #[test]
    fn rsoc_usage_data_spot_checks() {
        let find = |opcode: u8, sa: u16| {
            TCM_SUPPORTED_OPCODES
                .iter()
                .find(|d| d.opcode == opcode && d.service_action == sa)
                .unwrap()
                .usage_bits
        };
        let ff = 0xff;
        assert_eq!(
            find(COMPARE_AND_WRITE, 0),
            [0x89, 0x18, ff, ff, ff, ff, ff, ff, ff, ff, 0, 0, 0, ff, 0, 0]
        );
        assert_eq!(
            find(REPORT_LUNS, 0),
            [0xa0, 0, ff, 0, 0, 0, ff, ff, ff, ff, 0, 0]
        );
        assert_eq!(
            find(MAINTENANCE_IN, 0x0c),
            [0xa3, 0x0c, 0x87, ff, ff, ff, ff, ff, ff, ff, 0, 0]
        );
        assert_eq!(
            find(MAINTENANCE_IN, 0x0a),
            [0xa3, 0xea, 0, 0, 0, 0, ff, ff, ff, ff, 0, 0]
        );
        assert_eq!(
            find(MODE_SENSE_10, 0),
            [0x5a, 0x18, ff, ff, 0, 0, 0, ff, ff, 0]
        );
        assert_eq!(
            find(PERSISTENT_RESERVE_OUT, 7),
            [0x5f, 0x07, ff, 0, 0, ff, ff, ff, ff, 0]
        );
        assert_eq!(
            find(PERSISTENT_RESERVE_IN, 3),
            [0x5e, 0x03, 0, 0, 0, 0, 0, ff, ff, 0]
        );
        assert_eq!(
            find(READ_CAPACITY, 0),
            [0x25, 0, ff, ff, ff, ff, 0, 0, 1, 0]
        );
        assert_eq!(
            find(SERVICE_ACTION_IN_16, 0x10),
            [0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, ff, ff, ff, ff, 0, 0]
        );
        assert_eq!(
            find(READ_12, 0),
            [0xa8, 0xf8, ff, ff, ff, ff, ff, ff, ff, ff, 0, 0]
        );
        assert_eq!(find(START_STOP, 0), [0x1b, 0x01, 0, 0, 0x01, 0]);
        assert_eq!(
            find(VARIABLE_LENGTH_CMD, 0x0d),
            [
                0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0, 0x0d, 0xe8, 0, ff, ff, ff, ff, ff, ff, ff, ff, 0,
                0, 0, 0, 0, 0, 0, 0, ff, ff, ff, ff
            ]
        );
    }

    #[test]
    fn rsoc_table_is_lios() {
        assert_eq!(TCM_SUPPORTED_OPCODES.len(), 52);
        for d in TCM_SUPPORTED_OPCODES.iter() {
            assert_eq!(d.usage_bits[0], d.opcode);
            assert!(matches!(d.cdb_size(), 6 | 10 | 12 | 16 | 32));
            if d.cdb_size() != 32 {
                assert_eq!(d.cdb_size(), super::super::cdb::command_size(d.opcode));
            }
        }
    }

    #[test]
    fn spc_parse_cdb_dispatch() {
        let dev = rd0();
        let parse =
            |dev: &DeviceInfo<'_>, cdb: &[u8]| spc_parse_cdb(dev, &decode_cdb(cdb).unwrap());
        let p = parse(&dev, &[INQUIRY, 0, 0, 0, 0xff, 0]).unwrap();
        assert_eq!(
            (p.execute_cmd, p.size, p.head_of_queue),
            (ExecuteCmd::EmulateInquiry, Some(255), true)
        );
        let p = parse(&dev, &[REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0]).unwrap();
        assert_eq!(
            (p.execute_cmd, p.size, p.head_of_queue),
            (ExecuteCmd::EmulateReportLuns, Some(4096), true)
        );
        let p = parse(&dev, &[RESERVE, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(
            (p.execute_cmd, p.size),
            (ExecuteCmd::Scsi2ReservationReserve, None)
        );
        let p = parse(&dev, &[PERSISTENT_RESERVE_OUT, 0, 0, 0, 0, 0, 0, 0, 24, 0]).unwrap();
        assert_eq!(
            (p.execute_cmd, p.size),
            (ExecuteCmd::EmulatePrOut, Some(24))
        );
        let mut no_pr = dev;
        no_pr.emulate_pr = false;
        for cdb in [
            &[RESERVE, 0, 0, 0, 0, 0][..],
            &[PERSISTENT_RESERVE_IN, 0, 0, 0, 0, 0, 0, 0, 8, 0],
        ] {
            assert_eq!(parse(&no_pr, cdb), Err(SenseReason::UnsupportedScsiOpcode));
        }
        let mut pgr = dev;
        pgr.passthrough_pgr = true;
        assert_eq!(
            parse(&pgr, &[RELEASE_10, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(SenseReason::UnsupportedScsiOpcode)
        );
        assert!(parse(&pgr, &[PERSISTENT_RESERVE_IN, 0, 0, 0, 0, 0, 0, 0, 8, 0]).is_ok());
        let mut rom = dev;
        rom.device_type = TYPE_ROM;
        assert_eq!(
            parse(&rom, &rsoc_cdb(0, false, 0, 0)),
            Err(SenseReason::UnsupportedScsiOpcode)
        );
        for cdb in [
            &[LOG_SENSE_OP, 0, 0, 0, 0, 0, 0, 0, 4, 0][..],
            &[0xe7, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ] {
            assert_eq!(parse(&dev, cdb), Err(SenseReason::UnsupportedScsiOpcode));
        }
        assert_eq!(spc_emulate_testunitready(), Ok(()));
    }

    const LOG_SENSE_OP: u8 = super::super::cdb::LOG_SENSE;

    #[test]
    fn align_max_sectors() {
        assert_eq!(se_dev_align_max_sectors(u32::MAX, 512), 0xffff_fff8);
        assert_eq!(se_dev_align_max_sectors(1023, 4096), 1023);
        assert_eq!(se_dev_align_max_sectors(1023, 0), 1023);
    }
}
