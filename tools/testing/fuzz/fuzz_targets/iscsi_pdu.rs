// SPDX-License-Identifier: GPL-2.0

//! Fuzz target `iscsi_pdu`: random bytes through iscsi_target_mod's pure protocol logic:
//! the BHS parser/builder (every opcode, round trip), LIO's full-feature receive checks,
//! the login request checks, the AHS walk and extended CDB, the login key parser and
//! negotiator (security and operational stage, leading/non-leading, normal/discovery),
//! the CHAP state machine with a stand-in hash, and CRC32C against a bitwise reference.
//! Errors must be typed errors, never panics, and the results must keep the invariants
//! asserted below.
//!
//! Input: byte 0 picks the configuration, then a 48-byte header (short inputs are
//! zero-padded for the header paths), the rest is AHS / login text.

#![no_main]
#![allow(dead_code)]

use libfuzzer_sys::fuzz_target;

// The files sit side by side at the crate root, as in iscsi_target_mod.
#[path = "../../../../drivers/target/iscsi/chap.rs"]
mod chap;
#[path = "../../../../drivers/target/iscsi/crc32c.rs"]
mod crc32c;
#[path = "../../../../drivers/target/iscsi/params.rs"]
mod params;
#[path = "../../../../drivers/target/iscsi/pdu.rs"]
mod pdu;

use chap::{chap_main_loop, ChapDigest, ChapError, ChapHash, ChapResult, IscsiNodeAuth};
use params::{IscsiConnOps, IscsiParamKey, IscsiParamList, IscsiSessOps, LoginTextResult};
use pdu::{IscsiPdu, IscsiRxParams, ISCSI_HDR_LEN, SCSI_MAX_VARLEN_CDB_SIZE};

/// A deterministic stand-in for the kernel's shash: CRC32C of the parts, spread out.
struct FakeHash(u8);

impl ChapHash for FakeHash {
    fn chap_supports(&self, d: ChapDigest) -> bool {
        // Bit n of the configuration byte enables CHAP_A=n; SHA3-256 (8) always.
        (u16::from(self.0) | 0x100) & (1u16 << d.chap_a()) != 0
    }

    fn chap_digest(
        &mut self,
        d: ChapDigest,
        parts: &[&[u8]],
        out: &mut [u8],
    ) -> Result<(), ChapError> {
        if out.len() != d.digest_size() {
            return Err(ChapError::HashFailed);
        }
        let mut c = crc32c::Crc32c::new();
        for p in parts {
            c.update(p);
        }
        let v = c.finish().to_le_bytes();
        for (i, o) in out.iter_mut().enumerate() {
            *o = v[i % 4] ^ (i as u8);
        }
        Ok(())
    }
}

fn crc_bitwise(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ crc32c::CRC32C_POLY_REVERSED
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Every entry of a response text is `key=value` and NUL-terminated.
fn check_text(t: &[u8]) {
    assert!(t.is_empty() || t.last() == Some(&0));
    for e in t.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        assert!(e.contains(&b'='));
    }
}

fn fuzz_pdu(cfg: u8, hdr: &[u8; ISCSI_HDR_LEN], rest: &[u8]) {
    // Structure: parse, build, parse again.
    if let Ok(pdu) = IscsiPdu::parse(hdr) {
        let mut out = [0u8; ISCSI_HDR_LEN];
        pdu.build(&mut out).expect("parsed PDUs build");
        assert_eq!(IscsiPdu::parse(&out), Ok(pdu));
        assert!(pdu.pdu_len(true, true) >= ISCSI_HDR_LEN + pdu.ahs_len());
        assert_eq!(pdu.data_padded_len() % 4, 0);
    }
    // LIO's receive checks.
    let ops = IscsiRxParams {
        max_xmit_data_segment_length: 512 << (cfg & 7),
        first_burst_length: 512 << ((cfg >> 3) & 7),
        immediate_data: cfg & 0x40 != 0,
        error_recovery_level: cfg & 3,
        session_type: cfg & 0x80 != 0,
    };
    match pdu::iscsit_rx_pdu(hdr, &ops) {
        Ok(p) => {
            assert!(p.dlength <= ops.max_xmit_data_segment_length);
            if let pdu::IscsiPduBody::ScsiCmd(cmd) = &p.body {
                let mut cdb = [0u8; SCSI_MAX_VARLEN_CDB_SIZE];
                if let Ok(n) = pdu::iscsit_get_cdb(cmd, rest, &mut cdb) {
                    assert!((16..=SCSI_MAX_VARLEN_CDB_SIZE).contains(&n));
                }
            }
        }
        Err(e) => {
            let _ = (e.reject_reason(), e.is_fatal());
        }
    }
    for seg in pdu::IscsiAhsIter::new(rest) {
        if let Ok(s) = seg {
            assert_eq!(s.data.len(), usize::from(s.ahslength));
        }
    }
    // Login requests: the same header twice, then with the rest as a second header.
    let mut login = pdu::IscsiLogin::new();
    let _ = login.iscsit_get_login_rx(hdr);
    let _ = login.iscsit_get_login_rx(hdr);
    let _ = login.iscsit_get_login_rx(rest);
    // Serial numbers.
    let a = u32::from_be_bytes([hdr[24], hdr[25], hdr[26], hdr[27]]);
    let b = u32::from_be_bytes([hdr[28], hdr[29], hdr[30], hdr[31]]);
    assert!(pdu::iscsi_sna_lt(a, b) != pdu::iscsi_sna_gte(a, b));
    let mut w = pdu::IscsiCmdSnWindow::new(a);
    w.iscsit_determine_maxcmdsn(u32::from(cfg) + 1, false);
    let before = w;
    match w.iscsit_check_received_cmdsn(b) {
        pdu::CmdSnResult::NormalOperation => assert_eq!(w.exp_cmd_sn, b.wrapping_add(1)),
        _ => assert_eq!(w, before),
    }
}

fn fuzz_params(cfg: u8, text: &[u8]) {
    let leading = cfg & 1 == 0;
    let discovery = cfg & 2 != 0;
    let iser = cfg & 4 != 0;
    let auth_required = cfg & 8 != 0;
    let erl = (cfg >> 4) % 3;
    let tpg = IscsiParamList::iscsi_create_default_params();
    let mut l = tpg.iscsi_copy_param_list(leading);
    l.iscsi_login_setup_params(leading, discovery, iser, auth_required, 1, erl);

    // Split the text in two PDUs at a fuzzer-chosen point.
    let cut = usize::from(cfg).min(text.len());
    let (first, second) = text.split_at(cut);
    let mut rsp = [0u8; 8192];
    let mut ok = true;
    for (csg, t) in [(0u8, first), (1, second), (1, first)] {
        match l.iscsi_login_text(csg, t, &mut rsp, cfg & 0x40 != 0) {
            Ok(LoginTextResult::Response { len, .. }) => check_text(&rsp[..len]),
            Ok(LoginTextResult::AuthKeys) => {}
            Err(e) => {
                let _ = e.login_status(csg);
                ok = false;
                break;
            }
        }
    }
    let _ = l.iscsi_target_check_first_request(leading, Some(b"iqn.x"));
    let _ = l.iscsi_check_negotiated_keys();
    let mut conn = IscsiConnOps::default();
    l.iscsi_set_connection_parameters(&mut conn);
    let mut sess = IscsiSessOps::default();
    l.iscsi_set_session_parameters(&mut sess, leading);
    if ok {
        // Values only ever pass LIO's range checks.
        assert!(sess.error_recovery_level <= 2);
        assert!(sess.max_burst_length == 0 || sess.max_burst_length >= 512);
        assert!(sess.max_burst_length <= 16_777_215 && sess.first_burst_length <= 16_777_215);
        // After an encode of a normal session, FirstBurstLength <= MaxBurstLength.
        if leading && l.value(IscsiParamKey::SessionType) == b"Normal" {
            assert!(
                l.value_u32(IscsiParamKey::FirstBurstLength)
                    <= l.value_u32(IscsiParamKey::MaxBurstLength)
            );
        }
    }
    // configfs writes of the raw text.
    let mut tpg = tpg;
    let _ = tpg.iscsi_change_param_value(text, cfg & 0x20 != 0);
    tpg.iscsit_ta_authentication(cfg & 0x10 != 0);
}

fn fuzz_chap(cfg: u8, text: &[u8]) {
    let a = IscsiNodeAuth {
        userid: Some(b"user"),
        password: Some(b"secret"),
        userid_mutual: b"target",
        password_mutual: b"msecret",
        authenticate_target: cfg & 1 != 0,
    };
    let mut hash = FakeHash(cfg | 0x20);
    let mut chap = None;
    let mut out = [0u8; 512];
    let random = [0x5au8; 32];
    // Either text opens (it must start with CHAP_A) or a default opening is used.
    let opened = chap_main_loop(&mut chap, &a, text, &mut out, &mut hash, cfg, &random);
    if opened.is_err() {
        let _ = chap_main_loop(
            &mut chap,
            &a,
            b"CHAP_A=5\0",
            &mut out,
            &mut hash,
            1,
            &random,
        );
    }
    if let Ok(ChapResult::Continue(len)) = opened {
        check_text(&out[..len]);
    }
    match chap_main_loop(&mut chap, &a, text, &mut out, &mut hash, 2, &random) {
        Ok(ChapResult::Success(len)) | Ok(ChapResult::Continue(len)) => check_text(&out[..len]),
        Err(_) => assert!(chap.is_none()),
    }
    let _ = chap::extract_param(text, "CHAP_C", chap::CHAP_CHALLENGE_STR_LEN);
    let mut buf = [0u8; 64];
    let _ = chap::chap_base64_decode(&mut buf, text);
    let _ = chap::iscsi_auth_type(text);
}

fuzz_target!(|data: &[u8]| {
    let (cfg, rest) = match data.split_first() {
        Some((c, r)) => (*c, r),
        None => return,
    };
    let mut hdr = [0u8; ISCSI_HDR_LEN];
    let n = rest.len().min(ISCSI_HDR_LEN);
    hdr[..n].copy_from_slice(&rest[..n]);
    let tail = &rest[n..];

    fuzz_pdu(cfg, &hdr, tail);
    let _ = IscsiPdu::parse(rest);
    fuzz_params(cfg, rest);
    fuzz_chap(cfg, rest);

    assert_eq!(crc32c::crc32c(rest), crc_bitwise(rest));
    let _ = crc32c::iscsi_data_digest(rest);
});
