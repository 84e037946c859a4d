// SPDX-License-Identifier: GPL-2.0

//! EXTENDED COPY (LID1) and RECEIVE COPY RESULTS of target_core_mod (LIO's
//! `target_core_xcopy.c`): the parameter list parsing of `target_parse_xcopy_cmd()` and
//! the OPERATING PARAMETERS of `target_rcr_operating_parameters()`. Pure `core` code; the
//! copy itself (`target_xcopy_do_work()`) runs in the execution engine (`exec.rs`), which
//! has the medium.
//!
//! lio-rs: LIO looks the CSCD descriptors' NAA designators up among the devices mapped to
//! the session's ACL (`target_xcopy_locate_se_dev_e4()`). The core has no device registry
//! the engine could search yet, so the only device a copy can reach is the one the
//! command came in on: source and destination must both be this device, any other
//! designator fails as LIO fails one it cannot find, with COPY ABORTED, COPY TARGET DEVICE
//! NOT REACHABLE.

use super::cdb::{get_unaligned_be16, get_unaligned_be32, get_unaligned_be64, put_u8};
use super::cdb::{put_unaligned_be16, put_unaligned_be32, RCR_SA_OPERATING_PARAMETERS};
use super::sense::SenseReason;
use super::spc::{dev_naa, DeviceInfo};

/// `XCOPY_HDR_LEN`: the parameter list header.
pub(crate) const XCOPY_HDR_LEN: usize = 16;
/// `XCOPY_TARGET_DESC_LEN`: a CSCD (target) descriptor.
pub(crate) const XCOPY_TARGET_DESC_LEN: usize = 32;
/// `XCOPY_SEGMENT_DESC_LEN`: a block -> block segment descriptor.
pub(crate) const XCOPY_SEGMENT_DESC_LEN: usize = 28;
/// `XCOPY_NAA_IEEE_REGEX_LEN`: the NAA IEEE Registered Extended designator.
pub(crate) const XCOPY_NAA_IEEE_REGEX_LEN: usize = 16;
/// `XCOPY_MAX_BYTES`: the copy moves at most this much per read/write pair.
pub(crate) const XCOPY_MAX_BYTES: u64 = 16 * 1024 * 1024;
/// `XCOPY_CSCD_DESC_ID_LIST_OFF_MAX`: the largest CSCD descriptor ID.
pub(crate) const XCOPY_CSCD_DESC_ID_LIST_OFF_MAX: u16 = 0x07ff;

/// `RCR_OP_MAX_TARGET_DESC_COUNT`.
pub(crate) const RCR_OP_MAX_TARGET_DESC_COUNT: u16 = 0x2;
/// `RCR_OP_MAX_SG_DESC_COUNT`.
pub(crate) const RCR_OP_MAX_SG_DESC_COUNT: u16 = 0x1;
/// `RCR_OP_MAX_DESC_LIST_LEN`.
pub(crate) const RCR_OP_MAX_DESC_LIST_LEN: u32 = 1024;
/// `RCR_OP_MAX_SEGMENT_LEN`: 256 MiB.
pub(crate) const RCR_OP_MAX_SEGMENT_LEN: u32 = 268_435_456;
/// `RCR_OP_TOTAL_CONCURR_COPIES`.
pub(crate) const RCR_OP_TOTAL_CONCURR_COPIES: u16 = 0x1;
/// `RCR_OP_MAX_CONCURR_COPIES`.
pub(crate) const RCR_OP_MAX_CONCURR_COPIES: u8 = 0x1;
/// `RCR_OP_DATA_SEG_GRAN_LOG2`.
pub(crate) const RCR_OP_DATA_SEG_GRAN_LOG2: u8 = 9;
/// `RCR_OP_INLINE_DATA_GRAN_LOG2`.
pub(crate) const RCR_OP_INLINE_DATA_GRAN_LOG2: u8 = 9;
/// `RCR_OP_HELD_DATA_GRAN_LOG2`.
pub(crate) const RCR_OP_HELD_DATA_GRAN_LOG2: u8 = 9;
/// The data length OPERATING PARAMETERS needs (LIO: `se_cmd->data_length < 54` fails).
pub(crate) const RCR_OP_PARAMS_MIN_LEN: usize = 54;

/// The copy an EXTENDED COPY asks for (`struct xcopy_op`): its one block -> block segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct XcopyOp {
    /// NUMBER OF BLOCKS.
    pub(crate) nolb: u16,
    /// SOURCE LOGICAL BLOCK ADDRESS.
    pub(crate) src_lba: u64,
    /// DESTINATION LOGICAL BLOCK ADDRESS.
    pub(crate) dst_lba: u64,
}

/// Where the received command sits in the copy (`enum xcopy_origin_list`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// No CSCD descriptor names this device.
    None,
    /// `XCOL_SOURCE_RECV_OP`: this device is the source.
    Source,
    /// `XCOL_DEST_RECV_OP`: this device is the destination.
    Dest,
}

/// `target_do_xcopy()`: the checks before the copy is queued. `Ok(false)`: a zero
/// PARAMETER LIST LENGTH, GOOD with nothing done.
pub(crate) fn target_do_xcopy(
    dev: &DeviceInfo<'_>,
    service_action: u8,
    data_length: usize,
) -> Result<bool, SenseReason> {
    if !dev.emulate_3pc {
        return Err(SenseReason::UnsupportedScsiOpcode);
    }
    // EXTENDED COPY (LID4) is not supported.
    if service_action != 0 {
        return Err(SenseReason::UnsupportedScsiOpcode);
    }
    if data_length == 0 {
        return Ok(false);
    }
    if data_length < XCOPY_HDR_LEN {
        return Err(SenseReason::ParameterListLengthError);
    }
    Ok(true)
}

/// `target_parse_xcopy_cmd()` over the parameter list of `data_length` bytes
/// (`read(off, dst)` copies it out, zeros past its end): the header, the segment
/// descriptors (one of type 02h), then the CSCD descriptors (type E4h, NAA designators),
/// with LIO's checks and sense reasons in LIO's order. The source and the destination
/// must be this device (see the module documentation).
pub(crate) fn target_parse_xcopy_cmd(
    dev: &DeviceInfo<'_>,
    data_length: usize,
    read: &mut dyn FnMut(usize, &mut [u8]),
) -> Result<XcopyOp, SenseReason> {
    let mut hdr = [0u8; XCOPY_HDR_LEN];
    read(0, &mut hdr);
    // LIST IDENTIFIER and LIST ID USAGE (bytes 0-1) are not used.
    let tdll = u32::from(get_unaligned_be16(&hdr, 2).unwrap_or(0));
    let sdll = get_unaligned_be32(&hdr, 8).unwrap_or(0);
    // unsigned int arithmetic, wrapping as in LIO.
    if tdll.wrapping_add(sdll) > RCR_OP_MAX_DESC_LIST_LEN {
        return Err(SenseReason::ParameterListLengthError);
    }
    let inline_dl = get_unaligned_be32(&hdr, 12).unwrap_or(0);
    if inline_dl != 0 {
        return Err(SenseReason::InvalidParameterList);
    }
    let need = (XCOPY_HDR_LEN as u32)
        .wrapping_add(tdll)
        .wrapping_add(sdll)
        .wrapping_add(inline_dl);
    let data_length = u32::try_from(data_length).unwrap_or(u32::MAX);
    if data_length < need {
        return Err(SenseReason::ParameterListLengthError);
    }
    // The segment descriptors name the CSCD descriptors of the source and destination.
    let seg_off = XCOPY_HDR_LEN + tdll as usize;
    let seg = target_xcopy_parse_segment_descriptors(read, seg_off, sdll)?;
    target_xcopy_parse_target_descriptors(dev, read, tdll as usize, &seg)?;
    Ok(seg.op)
}

/// A parsed segment descriptor: the copy and its CSCD descriptor IDs.
struct Segment {
    op: XcopyOp,
    stdi: u16,
    dtdi: u16,
}

/// `target_xcopy_parse_segment_descriptors()` + `target_xcopy_parse_segdesc_02()`.
fn target_xcopy_parse_segment_descriptors(
    read: &mut dyn FnMut(usize, &mut [u8]),
    off: usize,
    sdll: u32,
) -> Result<Segment, SenseReason> {
    if sdll % XCOPY_SEGMENT_DESC_LEN as u32 != 0 {
        return Err(SenseReason::UnsupportedSegmentDescTypeCode);
    }
    if sdll > u32::from(RCR_OP_MAX_SG_DESC_COUNT) * XCOPY_SEGMENT_DESC_LEN as u32 {
        return Err(SenseReason::TooManySegmentDescs);
    }
    // At most one descriptor: sdll is 0 or 28.
    if sdll == 0 {
        return Err(SenseReason::InvalidParameterList);
    }
    let mut desc = [0u8; XCOPY_SEGMENT_DESC_LEN];
    read(off, &mut desc);
    let be16 = |o| get_unaligned_be16(&desc, o).unwrap_or(0);
    let be64 = |o| get_unaligned_be64(&desc, o).unwrap_or(0);
    // Block device to block device only.
    if desc.first() != Some(&0x02) {
        return Err(SenseReason::UnsupportedSegmentDescTypeCode);
    }
    if be16(2) != 0x18 {
        return Err(SenseReason::InvalidParameterList);
    }
    let (stdi, dtdi) = (be16(4), be16(6));
    if stdi > XCOPY_CSCD_DESC_ID_LIST_OFF_MAX || dtdi > XCOPY_CSCD_DESC_ID_LIST_OFF_MAX {
        return Err(SenseReason::InvalidParameterList);
    }
    Ok(Segment {
        op: XcopyOp {
            nolb: be16(10),
            src_lba: be64(12),
            dst_lba: be64(20),
        },
        stdi,
        dtdi,
    })
}

/// `target_xcopy_parse_target_descriptors()` + `target_xcopy_parse_tiddesc_e4()` +
/// `target_xcopy_locate_se_dev_e4()`: the CSCD descriptors at `XCOPY_HDR_LEN`, `tdll`
/// bytes of them.
fn target_xcopy_parse_target_descriptors(
    dev: &DeviceInfo<'_>,
    read: &mut dyn FnMut(usize, &mut [u8]),
    tdll: usize,
    seg: &Segment,
) -> Result<(), SenseReason> {
    if tdll % XCOPY_TARGET_DESC_LEN != 0 {
        return Err(SenseReason::UnsupportedTargetDescTypeCode);
    }
    if tdll > usize::from(RCR_OP_MAX_TARGET_DESC_COUNT) * XCOPY_TARGET_DESC_LEN {
        return Err(SenseReason::TooManyTargetDescs);
    }
    let local = dev_naa(dev);
    let mut src_wwn = [0u8; XCOPY_NAA_IEEE_REGEX_LEN];
    let mut dst_wwn = [0u8; XCOPY_NAA_IEEE_REGEX_LEN];
    let mut origin = Origin::None;
    let mut start = 0;
    let mut cscd_index = 0u16;
    while start < tdll {
        let mut desc = [0u8; XCOPY_TARGET_DESC_LEN];
        read(XCOPY_HDR_LEN + start, &mut desc);
        let [code, _, _, _, codeset, assoc_type, _, desig_len, naa_hi, ..] = desc;
        // Identification descriptor CSCD descriptors only.
        if code != 0xe4 {
            return Err(SenseReason::UnsupportedTargetDescTypeCode);
        }
        // Binary code set, LU association, NAA designator of 16 bytes, NAA 6h.
        if codeset & 0x0f != 0x1
            || assoc_type & 0x30 != 0
            || assoc_type & 0x0f != 0x3
            || usize::from(desig_len) != XCOPY_NAA_IEEE_REGEX_LEN
            || naa_hi & 0xf0 != 0x60
        {
            return Err(SenseReason::InvalidParameterList);
        }
        let wwn = desc.get(8..8 + XCOPY_NAA_IEEE_REGEX_LEN).unwrap_or(&[]);
        if cscd_index == seg.stdi {
            src_wwn.copy_from_slice(wwn);
            if src_wwn == local {
                origin = Origin::Source;
            }
        }
        // The destination wins when both name this device.
        if cscd_index == seg.dtdi {
            dst_wwn.copy_from_slice(wwn);
            if dst_wwn == local {
                origin = Origin::Dest;
            }
        }
        start += XCOPY_TARGET_DESC_LEN;
        cscd_index = cscd_index.wrapping_add(1);
    }
    // The other end must be found among the session's devices: only this one here.
    let other = match origin {
        Origin::Source => dst_wwn,
        Origin::Dest => src_wwn,
        Origin::None => return Err(SenseReason::CopyTargetDeviceNotReachable),
    };
    if other != local || !dev.emulate_3pc {
        return Err(SenseReason::CopyTargetDeviceNotReachable);
    }
    Ok(())
}

/// `target_do_receive_copy_results()` into `buf` (the command's data length is
/// `data_length`): OPERATING PARAMETERS only (other service actions and a non-zero LIST
/// IDENTIFIER are INVALID FIELD IN CDB). The data length stays (`target_complete_cmd()`).
pub(crate) fn target_do_receive_copy_results(
    dev: &DeviceInfo<'_>,
    service_action: u8,
    list_id: u8,
    data_length: usize,
    buf: &mut [u8],
) -> Result<(), SenseReason> {
    if !dev.emulate_3pc {
        return Err(SenseReason::UnsupportedScsiOpcode);
    }
    if list_id != 0 {
        return Err(SenseReason::InvalidCdbField);
    }
    match service_action {
        RCR_SA_OPERATING_PARAMETERS => target_rcr_operating_parameters(data_length, buf),
        _ => Err(SenseReason::InvalidCdbField),
    }
}

/// `target_rcr_operating_parameters()`: no buffer to map is OUT OF RESOURCES, less than
/// 54 bytes INVALID FIELD IN CDB.
fn target_rcr_operating_parameters(data_length: usize, buf: &mut [u8]) -> Result<(), SenseReason> {
    if data_length == 0 {
        return Err(SenseReason::OutOfResources);
    }
    if data_length < RCR_OP_PARAMS_MIN_LEN {
        return Err(SenseReason::InvalidCdbField);
    }
    buf.fill(0);
    put_unaligned_be32(buf, 0, 42); // AVAILABLE DATA
    put_u8(buf, 4, 0x1); // SNLID: supports no list identifier
    put_unaligned_be16(buf, 8, RCR_OP_MAX_TARGET_DESC_COUNT);
    put_unaligned_be16(buf, 10, RCR_OP_MAX_SG_DESC_COUNT);
    put_unaligned_be32(buf, 12, RCR_OP_MAX_DESC_LIST_LEN);
    put_unaligned_be32(buf, 16, RCR_OP_MAX_SEGMENT_LEN);
    // MAXIMUM INLINE DATA LENGTH, HELD DATA LIMIT, MAXIMUM STREAM DEVICE TRANSFER SIZE: 0.
    put_unaligned_be16(buf, 34, RCR_OP_TOTAL_CONCURR_COPIES);
    put_u8(buf, 36, RCR_OP_MAX_CONCURR_COPIES);
    put_u8(buf, 37, RCR_OP_DATA_SEG_GRAN_LOG2);
    put_u8(buf, 38, RCR_OP_INLINE_DATA_GRAN_LOG2);
    put_u8(buf, 39, RCR_OP_HELD_DATA_GRAN_LOG2);
    // IMPLEMENTED DESCRIPTOR LIST LENGTH, then the codes: block -> block, identification.
    put_u8(buf, 43, 0x2);
    put_u8(buf, 44, 0x02);
    put_u8(buf, 45, 0xe4);
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    const SERIAL: &[u8] = b"5d3f6a2c-0b41-4e8a-9c7d-1e2f3a4b5c6d";

    fn dev() -> DeviceInfo<'static> {
        let mut dev = DeviceInfo::new(b"LIO-ORG", b"rd0", b"4.0", 512, 63, 1024);
        dev.unit_serial = Some(SERIAL);
        dev
    }

    /// An E4h CSCD descriptor with the NAA designator `naa`.
    pub(crate) fn cscd(naa: &[u8; 16]) -> Vec<u8> {
        let mut d = vec![0xe4, 0, 0, 0, 0x01, 0x03, 0, 0x10];
        d.extend_from_slice(naa);
        d.resize(XCOPY_TARGET_DESC_LEN, 0);
        d
    }

    /// A 02h segment descriptor.
    pub(crate) fn seg(stdi: u16, dtdi: u16, nolb: u16, src: u64, dst: u64) -> Vec<u8> {
        let mut d = vec![0x02, 0, 0, 0x18];
        d.extend_from_slice(&stdi.to_be_bytes());
        d.extend_from_slice(&dtdi.to_be_bytes());
        d.extend_from_slice(&[0, 0]);
        d.extend_from_slice(&nolb.to_be_bytes());
        d.extend_from_slice(&src.to_be_bytes());
        d.extend_from_slice(&dst.to_be_bytes());
        d
    }

    /// A parameter list: header, CSCD descriptors, segment descriptors.
    pub(crate) fn list(cscds: &[Vec<u8>], segs: &[Vec<u8>]) -> Vec<u8> {
        let tdll: usize = cscds.iter().map(Vec::len).sum();
        let sdll: usize = segs.iter().map(Vec::len).sum();
        let mut p = vec![0u8; XCOPY_HDR_LEN];
        p[2..4].copy_from_slice(&(tdll as u16).to_be_bytes());
        p[8..12].copy_from_slice(&(sdll as u32).to_be_bytes());
        for d in cscds.iter().chain(segs) {
            p.extend_from_slice(d);
        }
        p
    }

    fn parse(dev: &DeviceInfo<'_>, p: &[u8]) -> Result<XcopyOp, SenseReason> {
        let mut read = |off: usize, dst: &mut [u8]| {
            dst.fill(0);
            for (i, d) in dst.iter_mut().enumerate() {
                if let Some(b) = p.get(off + i) {
                    *d = *b;
                }
            }
        };
        target_parse_xcopy_cmd(dev, p.len(), &mut read)
    }

    #[test]
    fn do_xcopy_checks() {
        let mut d = dev();
        assert_eq!(target_do_xcopy(&d, 0, 0), Ok(false));
        assert_eq!(target_do_xcopy(&d, 0, 16), Ok(true));
        assert_eq!(
            target_do_xcopy(&d, 0, 15),
            Err(SenseReason::ParameterListLengthError)
        );
        assert_eq!(
            target_do_xcopy(&d, 1, 64),
            Err(SenseReason::UnsupportedScsiOpcode)
        );
        d.emulate_3pc = false;
        assert_eq!(
            target_do_xcopy(&d, 0, 64),
            Err(SenseReason::UnsupportedScsiOpcode)
        );
    }

    #[test]
    fn parse_this_device_to_itself() {
        let d = dev();
        let naa = dev_naa(&d);
        let op = XcopyOp {
            nolb: 4,
            src_lba: 1,
            dst_lba: 9,
        };
        // One descriptor for both, or two.
        let p = list(&[cscd(&naa)], &[seg(0, 0, 4, 1, 9)]);
        assert_eq!(parse(&d, &p), Ok(op));
        let p = list(&[cscd(&naa), cscd(&naa)], &[seg(1, 0, 4, 1, 9)]);
        assert_eq!(parse(&d, &p), Ok(op));
        // Another device at either end: not reachable.
        let mut other = naa;
        other[15] ^= 1;
        for (s, t) in [(0, 1), (1, 0)] {
            let p = list(&[cscd(&naa), cscd(&other)], &[seg(s, t, 4, 1, 9)]);
            assert_eq!(
                parse(&d, &p),
                Err(SenseReason::CopyTargetDeviceNotReachable)
            );
        }
        // Neither end names this device, or the IDs name no descriptor.
        let p = list(&[cscd(&other)], &[seg(0, 0, 4, 1, 9)]);
        assert_eq!(
            parse(&d, &p),
            Err(SenseReason::CopyTargetDeviceNotReachable)
        );
        let p = list(&[cscd(&naa)], &[seg(0, 1, 4, 1, 9)]);
        assert_eq!(
            parse(&d, &p),
            Err(SenseReason::CopyTargetDeviceNotReachable)
        );
        let p = list(&[], &[seg(0, 0, 4, 1, 9)]);
        assert_eq!(
            parse(&d, &p),
            Err(SenseReason::CopyTargetDeviceNotReachable)
        );
    }

    #[test]
    fn parse_errors_in_lios_order() {
        let d = dev();
        let naa = dev_naa(&d);
        let good = list(&[cscd(&naa)], &[seg(0, 0, 1, 0, 1)]);
        let with = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut p = good.clone();
            f(&mut p);
            parse(&d, &p)
        };
        use SenseReason as R;
        // Descriptor list longer than 1024 bytes, inline data, truncated list.
        assert_eq!(
            with(&|p| p[8..12].copy_from_slice(&1000u32.to_be_bytes())),
            Err(R::ParameterListLengthError)
        );
        assert_eq!(with(&|p| p[15] = 1), Err(R::InvalidParameterList));
        assert_eq!(with(&|p| p.truncate(70)), Err(R::ParameterListLengthError));
        // The segment list is looked at first.
        assert_eq!(
            with(&|p| {
                p[11] = 27;
                p[3] = 31;
            }),
            Err(R::UnsupportedSegmentDescTypeCode)
        );
        assert_eq!(
            with(&|p| {
                p[11] = 56;
                p.extend_from_slice(&seg(0, 0, 1, 0, 1));
            }),
            Err(R::TooManySegmentDescs)
        );
        assert_eq!(
            with(&|p| p[48] = 0x01),
            Err(R::UnsupportedSegmentDescTypeCode)
        );
        assert_eq!(with(&|p| p[51] = 0x1c), Err(R::InvalidParameterList));
        assert_eq!(with(&|p| p[52] = 0x08), Err(R::InvalidParameterList));
        assert_eq!(with(&|p| p[54] = 0x08), Err(R::InvalidParameterList));
        // No segment: INVALID FIELD IN PARAMETER LIST.
        let p = list(&[cscd(&naa)], &[]);
        assert_eq!(parse(&d, &p), Err(R::InvalidParameterList));
        // Then the CSCD descriptors.
        let p = list(&[cscd(&naa)[..31].to_vec()], &[seg(0, 0, 1, 0, 1)]);
        assert_eq!(parse(&d, &p), Err(R::UnsupportedTargetDescTypeCode));
        let three = [cscd(&naa), cscd(&naa), cscd(&naa)];
        let p = list(&three, &[seg(0, 0, 1, 0, 1)]);
        assert_eq!(parse(&d, &p), Err(R::TooManyTargetDescs));
        assert_eq!(
            with(&|p| p[16] = 0xe0),
            Err(R::UnsupportedTargetDescTypeCode)
        );
        assert_eq!(with(&|p| p[20] = 0x02), Err(R::InvalidParameterList));
        assert_eq!(with(&|p| p[21] = 0x13), Err(R::InvalidParameterList));
        assert_eq!(with(&|p| p[21] = 0x02), Err(R::InvalidParameterList));
        assert_eq!(with(&|p| p[23] = 0x08), Err(R::InvalidParameterList));
        assert_eq!(with(&|p| p[24] = 0x50), Err(R::InvalidParameterList));
        // A wrapping descriptor list length passes the first check, as in LIO.
        assert_eq!(
            with(&|p| p[8..12].copy_from_slice(&0xffff_ffe0u32.to_be_bytes())),
            Err(R::TooManySegmentDescs)
        );
    }

    #[test]
    fn operating_parameters() {
        let d = dev();
        let mut buf = [0xaau8; 64];
        assert_eq!(
            target_do_receive_copy_results(&d, 3, 0, 64, &mut buf),
            Ok(())
        );
        let mut want = [0u8; 64];
        want[3] = 42;
        want[4] = 1;
        want[9] = 2;
        want[11] = 1;
        want[14] = 4;
        want[16..20].copy_from_slice(&268_435_456u32.to_be_bytes());
        want[35] = 1;
        want[36] = 1;
        want[37..40].copy_from_slice(&[9, 9, 9]);
        want[43] = 2;
        want[44] = 0x02;
        want[45] = 0xe4;
        assert_eq!(buf, want);
        use SenseReason as R;
        let mut b = [0u8; 64];
        assert_eq!(
            target_do_receive_copy_results(&d, 3, 0, 53, &mut b),
            Err(R::InvalidCdbField)
        );
        assert_eq!(
            target_do_receive_copy_results(&d, 3, 0, 0, &mut b),
            Err(R::OutOfResources)
        );
        assert_eq!(
            target_do_receive_copy_results(&d, 3, 1, 64, &mut b),
            Err(R::InvalidCdbField)
        );
        for sa in [0, 1, 4, 5] {
            assert_eq!(
                target_do_receive_copy_results(&d, sa, 0, 64, &mut b),
                Err(R::InvalidCdbField)
            );
        }
        let mut no3pc = d;
        no3pc.emulate_3pc = false;
        assert_eq!(
            target_do_receive_copy_results(&no3pc, 3, 0, 64, &mut b),
            Err(R::UnsupportedScsiOpcode)
        );
    }
}
