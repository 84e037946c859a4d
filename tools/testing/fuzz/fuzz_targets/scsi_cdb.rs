// SPDX-License-Identifier: GPL-2.0

//! Fuzz target `scsi_cdb`: random CDBs through target_core_mod's CDB decoder and
//! `sbc_parse_cdb()`, then through the emulation the parse picked (INQUIRY/VPD, MODE
//! SENSE/SELECT, REQUEST SENSE, REPORT LUNS, REPORT SUPPORTED OPERATION CODES, READ
//! CAPACITY, START STOP UNIT, UNMAP, VERIFY/COMPARE AND WRITE compares) with the rest of
//! the input as data-out / parameter list, plus the UNMAP and MODE SELECT parameter list
//! parsers fed directly. Errors must be sense reasons, never panics, and the results must
//! keep LIO's invariants (asserted below).
//!
//! Input: byte 0 picks the device/port/backend configuration, byte 1 the CDB length
//! (mod 48), then the CDB, then the parameter list.

#![no_main]
#![allow(dead_code)]

use libfuzzer_sys::fuzz_target;

// The files sit side by side at the crate root, as in target_core_mod.
#[path = "../../../../drivers/target/cdb.rs"]
mod cdb;
#[path = "../../../../drivers/target/sbc.rs"]
mod sbc;
#[path = "../../../../drivers/target/sense.rs"]
mod sense;
#[path = "../../../../drivers/target/spc.rs"]
mod spc;

use cdb::ScsiCdb;
use sbc::{CmdDataLength, CmdProt, DmaDirection, ExecCmdOps};
use sense::{SenseReason, UnitAttention, TRANSPORT_SENSE_BUFFER};
use spc::{DeviceInfo, ExecuteCmd, PortInfo, TgPtGp};

const SERIAL: &[u8] = b"5d3f6a2c-0b41-4e8a-9c7d-1e2f3a4b5c6d";

fn device(cfg: u8) -> DeviceInfo<'static> {
    let mut dev = DeviceInfo::new(b"LIO-ORG", b"rd0", b"4.0", 512, 131_071, 0xffff_fff8);
    if cfg & 0x01 != 0 {
        dev.unit_serial = Some(SERIAL);
        dev.lu_gp_id = Some(0);
    }
    if cfg & 0x02 != 0 {
        // fileio-like, thin provisioned, write cache on.
        dev.emulate_tpu = true;
        dev.emulate_tpws = true;
        dev.emulate_write_cache = true;
        dev.max_write_same_len = 0x1000;
        dev.max_unmap_lba_count = 0x2000;
        dev.max_unmap_block_desc_count = 4;
        dev.unmap_granularity_alignment = 8;
    }
    if cfg & 0x04 != 0 {
        // Past 2^32 blocks: descriptor sense, long block descriptors, capped READ CAPACITY.
        dev.last_lba = 0x1_0000_0000 + u64::from(cfg);
        dev.block_size = 4096;
        dev.hw_block_size = 4096;
    }
    if cfg & 0x08 != 0 {
        dev.pi_prot_type = 1 + (cfg >> 6) % 3;
        dev.prot_length = 8;
    }
    if cfg & 0x10 != 0 {
        dev.emulate_pr = false;
        dev.emulate_caw = false;
        dev.emulate_rsoc = cfg & 0x20 != 0;
        dev.passthrough_pgr = true;
    }
    dev
}

fn port(cfg: u8) -> PortInfo<'static> {
    PortInfo {
        proto_id: if cfg & 0x20 != 0 { 5 } else { 6 },
        tpg_rtpi: u16::from(cfg),
        tpgt: 1,
        tpg_wwn: if cfg & 0x40 != 0 {
            b"iqn.2003-01.org.linux-iscsi.host:sn.0123456789ab"
        } else {
            b"naa.50014050aabbccdd"
        },
        tg_pt_gp: (cfg & 0x80 == 0).then_some(TgPtGp {
            tg_pt_gp_id: 0,
            alua_access_type: 0x30,
            ..TgPtGp::DEFAULT
        }),
        lun_access_ro: cfg & 0x10 != 0,
        max_data_sg_nents: if cfg & 0x40 != 0 { 256 } else { 0 },
        sup_prot_ops: 0x30,
        sess_prot_type: 0,
    }
}

fn ops(cfg: u8) -> ExecCmdOps {
    if cfg & 0x02 != 0 {
        ExecCmdOps::FILEIO
    } else {
        ExecCmdOps::RD_MCP
    }
}

/// Builds the CHECK CONDITION for a failed command, as the fabric would send it.
fn fail(dev: &DeviceInfo<'_>, reason: SenseReason, info: u64) {
    let mut sense = [0u8; TRANSPORT_SENSE_BUFFER];
    let ua = Some(UnitAttention {
        asc: 0x29,
        ascq: 0x07,
    });
    let cc =
        sense::translate_sense_reason(&mut sense, reason, dev.target_sense_desc_format(), ua, info);
    assert!(cc.sense_length == 0 || cc.sense_length == TRANSPORT_SENSE_BUFFER);
    if cc.sense_length != 0 {
        assert!(matches!(sense[0] & 0x7f, 0x70 | 0x72));
    }
}

fn execute(dev: &DeviceInfo<'_>, port: &PortInfo<'_>, ops: &ExecCmdOps, cdb: &[u8], param: &[u8]) {
    let prot = CmdProt::default();
    let parsed = match sbc::sbc_parse_cdb(dev, port, ops, prot, cdb) {
        Ok(parsed) => parsed,
        Err(reason) => return fail(dev, reason, 0),
    };
    // The fabric's expected length and direction.
    let direction = match parsed.execute_cmd {
        ExecuteCmd::EmulateModeSelect | ExecuteCmd::ExecuteUnmap | ExecuteCmd::Verify { .. } => {
            DmaDirection::ToDevice
        }
        _ => DmaDirection::FromDevice,
    };
    let mut length = CmdDataLength::new(param.len() as u32);
    if let Err(reason) = length.target_cmd_size_check(
        parsed.size,
        direction,
        parsed.data_cdb,
        port.max_data_sg_nents,
    ) {
        return fail(dev, reason, 0);
    }
    let data_length = length.data_length as usize;
    let mut buf = [0u8; 2048];
    let out = &mut buf[..data_length.min(2048)];
    let data_out = &param[..data_length.min(param.len())];
    let result: Result<Option<usize>, SenseReason> = match (parsed.execute_cmd, parsed.cdb) {
        (
            ExecuteCmd::EmulateInquiry,
            ScsiCdb::Inquiry {
                evpd, page_code, ..
            },
        ) => spc::spc_emulate_inquiry(dev, port, evpd, page_code, out).map(|n| {
            assert!(n <= spc::SE_INQUIRY_BUF);
            Some(n)
        }),
        (ExecuteCmd::EmulateModeSense, ScsiCdb::ModeSense(ms)) => {
            spc::spc_emulate_modesense(dev, port, &ms, out).map(|n| {
                assert!(n <= spc::SE_MODE_PAGE_BUF);
                if !ms.ten {
                    assert!(n < 256);
                }
                Some(n)
            })
        }
        (ExecuteCmd::EmulateModeSelect, ScsiCdb::ModeSelect(ms)) => {
            spc::spc_emulate_modeselect(dev, port, &ms, data_out).map(|()| None)
        }
        (ExecuteCmd::EmulateRequestSense, ScsiCdb::RequestSense { desc, alloc_len }) => {
            let ua = param.first().map(|&a| UnitAttention { asc: a, ascq: 0 });
            spc::spc_emulate_request_sense(dev, desc, alloc_len, ua, out).map(Some)
        }
        (ExecuteCmd::EmulateReportLuns, _) => {
            let mut luns = [0u64; 32];
            let n = param.chunks_exact(8).take(32).count();
            for (lun, c) in luns.iter_mut().zip(param.chunks_exact(8)) {
                *lun = u64::from_be_bytes(c.try_into().unwrap_or([0; 8]));
            }
            let len = spc::spc_emulate_report_luns(&luns[..n], out);
            assert_eq!(len, 8 + 8 * n.max(1));
            Ok(Some(len))
        }
        (ExecuteCmd::EmulateReportSuppOpCodes, ScsiCdb::ReportSupportedOpcodes(r)) => {
            spc::spc_emulate_report_supp_op_codes(dev, port, ops, &r, out).map(|n| {
                assert!(n <= 4 + 52 * 20);
                Some(n)
            })
        }
        (ExecuteCmd::EmulateReadCapacity, ScsiCdb::ReadCapacity { lba, pmi }) => {
            sbc::sbc_emulate_readcapacity(dev, lba, pmi, out).map(Some)
        }
        (ExecuteCmd::EmulateReadCapacity16, _) => {
            Ok(Some(sbc::sbc_emulate_readcapacity_16(dev, port, out)))
        }
        (ExecuteCmd::EmulateStartStop, ScsiCdb::StartStop(ss)) => {
            sbc::sbc_emulate_startstop(&ss).map(|()| None)
        }
        (ExecuteCmd::EmulateTestUnitReady, _) => spc::spc_emulate_testunitready().map(|()| None),
        (ExecuteCmd::ExecuteUnmap, ScsiCdb::Unmap { byte1, .. }) => {
            sbc::sbc_execute_unmap(dev, byte1, data_out, |lba, range| {
                assert!(range != 0 && range <= dev.max_unmap_lba_count);
                assert!(lba + u64::from(range) <= dev.num_blocks());
                Ok(())
            })
            .map(|()| None)
        }
        (ExecuteCmd::Verify { bytchk }, _) => {
            // The medium reads as zeros.
            let medium = [0u8; 512];
            match sbc::sbc_verify_compare(bytchk, dev.block_size, data_out, &medium, 0) {
                Some(info) => return fail(dev, SenseReason::MiscompareVerify, info),
                None => Ok(None),
            }
        }
        (ExecuteCmd::CompareAndWrite, _) => {
            let half = data_out.len() / 2;
            match sbc::sbc_compare(&[0u8; 512][..half.min(512)], &data_out[..half]) {
                Some(info) => return fail(dev, SenseReason::MiscompareVerify, info),
                None => Ok(None),
            }
        }
        _ => Ok(None),
    };
    match result {
        Ok(Some(n)) => {
            length.target_set_cmd_data_length(n);
            assert!(length.data_length as usize <= data_length);
        }
        Ok(None) => {}
        Err(reason) => fail(dev, reason, 0),
    }
}

fuzz_target!(|data: &[u8]| {
    let [cfg, cdb_len, rest @ ..] = data else {
        return;
    };
    let (cdb, param) = rest.split_at(usize::from(*cdb_len % 48).min(rest.len()));
    let (dev, port, ops) = (device(*cfg), port(*cfg), ops(*cfg));

    // The raw decoder agrees with the length rules.
    match cdb::decode_cdb(cdb) {
        Ok(_) => assert!(cdb.len() >= cdb::scsi_command_size(cdb).unwrap_or(usize::MAX)),
        Err(reason) => assert_eq!(reason, SenseReason::InvalidCdbField),
    }
    execute(&dev, &port, &ops, cdb, param);

    // The parameter list parsers, fed directly.
    let mut unmapped = 0u64;
    let _ = sbc::sbc_execute_unmap(&dev, 0, param, |lba, range| {
        assert!(lba + u64::from(range) <= dev.num_blocks());
        unmapped += u64::from(range);
        Ok(())
    });
    let ms = cdb::ModeSelectCdb {
        ten: cfg & 1 != 0,
        pf: true,
        sp: false,
        param_len: param.len() as u16,
    };
    let _ = spc::spc_emulate_modeselect(&dev, &port, &ms, param);
});
