// SPDX-License-Identifier: GPL-2.0

//! Unit attention conditions of target_core_mod (LIO's `target_core_ua.c`): the queue of
//! pending unit attentions of one I_T nexus on one LUN (`se_dev_entry->ua_list`), with
//! LIO's ordering when one is established, the check before a command executes (INQUIRY,
//! REPORT LUNS and REQUEST SENSE pass), the dequeue for a CHECK CONDITION under the UA
//! interlock control of the device, and the clear by REQUEST SENSE. Pure `core` code with
//! a fixed capacity: nothing is allocated.

use super::sense::{target_scsi3_ua_check, SenseReason, UnitAttention, ASC_29H_RESET};
use super::spc::TARGET_UA_INTLCK_CTRL_CLEAR;

/// How many unit attentions one I_T nexus keeps per LUN. LIO allocates one `se_ua` each
/// and drops the new one when that fails; lio-rs drops past this count (see
/// [`UaQueue::allocate`]). LIO establishes about a dozen different conditions in all.
pub(crate) const UA_QUEUE_LEN: usize = 16;

/// ASC 2Ah: PARAMETERS CHANGED (the family LIO orders after 29h).
const ASC_2AH: u8 = 0x2a;

/// The pending unit attentions of one I_T nexus for one LUN (`deve->ua_list`), highest
/// priority first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UaQueue {
    list: [UnitAttention; UA_QUEUE_LEN],
    len: usize,
}

impl Default for UaQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl UaQueue {
    /// An empty queue.
    pub(crate) const fn new() -> Self {
        Self {
            list: [UnitAttention { asc: 0, ascq: 0 }; UA_QUEUE_LEN],
            len: 0,
        }
    }

    /// The pending unit attentions, the one reported next first.
    pub(crate) fn as_slice(&self) -> &[UnitAttention] {
        self.list.get(..self.len).unwrap_or(&[])
    }

    /// No unit attention pending (`list_empty(&deve->ua_list)`).
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many unit attentions are pending.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn insert(&mut self, at: usize, ua: UnitAttention) {
        if self.len >= UA_QUEUE_LEN || at > self.len {
            return;
        }
        if let Some(tail) = self.list.get_mut(at..=self.len) {
            tail.rotate_right(1);
            if let Some(slot) = tail.first_mut() {
                *slot = ua;
            }
            self.len += 1;
        }
    }

    fn remove_head(&mut self) -> Option<UnitAttention> {
        if self.len == 0 {
            return None;
        }
        let head = *self.list.first()?;
        if let Some(live) = self.list.get_mut(..self.len) {
            live.rotate_left(1);
        }
        self.len -= 1;
        Some(head)
    }

    /// `core_scsi3_ua_allocate()`: establishes ASC/ASCQ. One already pending is not
    /// queued twice. Placement is LIO's, decided against the head of the queue only: with
    /// a 29h head, a 29h with a larger ASCQ goes first; with a 2Ah head, any 29h — or, as
    /// LIO compares the new ASCQ with the head's ASC, an ASCQ above 2Ah — goes first;
    /// everything else goes last. Returns false when the queue is full and the new
    /// condition would go last (it is dropped, as LIO drops one it fails to allocate); a
    /// full queue gives up its last entry for one that goes first.
    ///
    /// lio-rs difference: LIO only compares the new condition with the head for
    /// duplicates; lio-rs looks at the whole queue. LIO clears every pending condition
    /// whenever it reports one, so the duplicates it keeps are never seen.
    pub(crate) fn allocate(&mut self, asc: u8, ascq: u8) -> bool {
        let ua = UnitAttention { asc, ascq };
        if self.as_slice().contains(&ua) {
            return true;
        }
        let first = match self.as_slice().first() {
            None => false,
            Some(head) if head.asc == ASC_29H_RESET => asc == ASC_29H_RESET && ascq > head.ascq,
            Some(head) if head.asc == ASC_2AH => asc == ASC_29H_RESET || ascq > head.asc,
            Some(_) => false,
        };
        if self.len >= UA_QUEUE_LEN {
            if !first {
                return false;
            }
            self.len -= 1;
        }
        self.insert(if first { 0 } else { self.len }, ua);
        true
    }

    /// `core_scsi3_ua_release_all()`: drops every pending condition (the I_T nexus or the
    /// LUN mapping went away).
    pub(crate) fn release_all(&mut self) {
        self.len = 0;
    }

    /// `target_scsi3_ua_check()`: with a condition pending, every command but INQUIRY,
    /// REPORT LUNS and REQUEST SENSE is `TCM_CHECK_CONDITION_UNIT_ATTENTION`.
    pub(crate) fn check(&self, opcode: u8) -> Result<(), SenseReason> {
        target_scsi3_ua_check(opcode, !self.is_empty())
    }

    /// `core_scsi3_ua_for_check_condition()`: the condition a CHECK CONDITION reports, the
    /// head of the queue. With UA_INTLCK_CTRL 00b (`TARGET_UA_INTLCK_CTRL_CLEAR`, the
    /// default) LIO then clears every pending condition, not only the reported one; with
    /// 10b/11b nothing is cleared. `None`: nothing pending (LIO then completes with BUSY).
    pub(crate) fn for_check_condition(&mut self, ua_intlck_ctrl: u8) -> Option<UnitAttention> {
        let head = self.as_slice().first().copied()?;
        if ua_intlck_ctrl == TARGET_UA_INTLCK_CTRL_CLEAR {
            self.release_all();
        }
        Some(head)
    }

    /// `core_scsi3_ua_clear_for_request_sense()`: the condition REQUEST SENSE returns (the
    /// head); every pending condition is cleared, whatever the interlock control.
    pub(crate) fn clear_for_request_sense(&mut self) -> Option<UnitAttention> {
        let head = self.remove_head()?;
        self.release_all();
        Some(head)
    }
}

#[cfg(test)]
mod tests {
    use super::super::sense::{
        ASCQ_29H_BUS_DEVICE_RESET_FUNCTION_OCCURRED, ASCQ_29H_NEXUS_LOSS_OCCURRED,
        ASCQ_2AH_RESERVATIONS_PREEMPTED, ASCQ_2AH_RESERVATIONS_RELEASED,
        ASCQ_3FH_REPORTED_LUNS_DATA_HAS_CHANGED, ASC_2AH_PARAMETERS_CHANGED,
        ASC_3FH_CONDITIONS_CHANGED,
    };
    use super::super::spc::{TARGET_UA_INTLCK_CTRL_ESTABLISH_UA, TARGET_UA_INTLCK_CTRL_NO_CLEAR};
    use super::*;
    use std::vec::Vec;

    fn pairs(q: &UaQueue) -> Vec<(u8, u8)> {
        q.as_slice().iter().map(|u| (u.asc, u.ascq)).collect()
    }

    #[test]
    fn ordering_follows_lio() {
        let mut q = UaQueue::new();
        assert!(q.is_empty());
        assert!(q.allocate(ASC_3FH_CONDITIONS_CHANGED, 0x0e));
        // A non-29h/2Ah head: everything goes last, 29h included.
        assert!(q.allocate(ASC_29H_RESET, ASCQ_29H_NEXUS_LOSS_OCCURRED));
        assert_eq!(pairs(&q), [(0x3f, 0x0e), (0x29, 0x07)]);

        let mut q = UaQueue::new();
        q.allocate(ASC_29H_RESET, ASCQ_29H_BUS_DEVICE_RESET_FUNCTION_OCCURRED);
        // 29h head: a larger 29h ASCQ goes first, a smaller one and others go last.
        q.allocate(ASC_29H_RESET, ASCQ_29H_NEXUS_LOSS_OCCURRED);
        q.allocate(ASC_29H_RESET, 0x01);
        q.allocate(ASC_2AH_PARAMETERS_CHANGED, ASCQ_2AH_RESERVATIONS_RELEASED);
        assert_eq!(
            pairs(&q),
            [(0x29, 0x07), (0x29, 0x03), (0x29, 0x01), (0x2a, 0x04)]
        );

        let mut q = UaQueue::new();
        q.allocate(ASC_2AH_PARAMETERS_CHANGED, ASCQ_2AH_RESERVATIONS_RELEASED);
        // 2Ah head: 29h goes first; others only with an ASCQ above 2Ah (LIO's comparison).
        q.allocate(ASC_2AH_PARAMETERS_CHANGED, ASCQ_2AH_RESERVATIONS_PREEMPTED);
        q.allocate(ASC_3FH_CONDITIONS_CHANGED, 0x30);
        assert_eq!(pairs(&q), [(0x3f, 0x30), (0x2a, 0x04), (0x2a, 0x03)]);
        let mut q = UaQueue::new();
        q.allocate(ASC_2AH_PARAMETERS_CHANGED, ASCQ_2AH_RESERVATIONS_RELEASED);
        q.allocate(ASC_29H_RESET, 0x00);
        assert_eq!(pairs(&q), [(0x29, 0x00), (0x2a, 0x04)]);
    }

    #[test]
    fn duplicates_are_not_queued() {
        let mut q = UaQueue::new();
        q.allocate(0x29, 0x03);
        q.allocate(0x2a, 0x06);
        assert!(q.allocate(0x2a, 0x06));
        assert!(q.allocate(0x29, 0x03));
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn full_queue_keeps_the_first_ones() {
        let mut q = UaQueue::new();
        for i in 0..UA_QUEUE_LEN as u8 {
            assert!(q.allocate(0x29, i));
        }
        // Each larger ASCQ went first: the head is the last one.
        assert_eq!(q.as_slice()[0].ascq, UA_QUEUE_LEN as u8 - 1);
        // One more that goes first evicts the last; one that goes last is dropped.
        assert!(q.allocate(0x29, 0x40));
        assert_eq!(q.len(), UA_QUEUE_LEN);
        assert_eq!(q.as_slice()[0].ascq, 0x40);
        assert_eq!(q.as_slice()[UA_QUEUE_LEN - 1].ascq, 1);
        assert!(!q.allocate(0x3f, 0x0e));
        assert_eq!(q.len(), UA_QUEUE_LEN);
    }

    #[test]
    fn check_lets_inquiry_report_luns_request_sense_through() {
        let mut q = UaQueue::new();
        assert_eq!(q.check(0x00), Ok(()));
        q.allocate(
            ASC_3FH_CONDITIONS_CHANGED,
            ASCQ_3FH_REPORTED_LUNS_DATA_HAS_CHANGED,
        );
        for op in [0x12u8, 0xa0, 0x03] {
            assert_eq!(q.check(op), Ok(()));
        }
        for op in [0x00u8, 0x28, 0x2a, 0x25, 0x9e, 0x1a] {
            assert_eq!(q.check(op), Err(SenseReason::CheckConditionUnitAttention));
        }
    }

    #[test]
    fn check_condition_clears_all_or_nothing() {
        let mut q = UaQueue::new();
        q.allocate(0x29, 0x07);
        q.allocate(0x2a, 0x06);
        let ua = q.for_check_condition(TARGET_UA_INTLCK_CTRL_NO_CLEAR);
        assert_eq!(
            ua,
            Some(UnitAttention {
                asc: 0x29,
                ascq: 0x07
            })
        );
        assert_eq!(q.len(), 2);
        assert_eq!(
            q.for_check_condition(TARGET_UA_INTLCK_CTRL_ESTABLISH_UA),
            Some(UnitAttention {
                asc: 0x29,
                ascq: 0x07
            })
        );
        assert_eq!(q.len(), 2);
        // 00b: the head is reported, and LIO releases every pending condition.
        assert_eq!(
            q.for_check_condition(TARGET_UA_INTLCK_CTRL_CLEAR),
            Some(UnitAttention {
                asc: 0x29,
                ascq: 0x07
            })
        );
        assert!(q.is_empty());
        assert_eq!(q.for_check_condition(TARGET_UA_INTLCK_CTRL_CLEAR), None);
    }

    #[test]
    fn request_sense_reports_the_head_and_clears() {
        let mut q = UaQueue::new();
        assert_eq!(q.clear_for_request_sense(), None);
        q.allocate(0x2a, 0x06);
        q.allocate(0x3f, 0x0e);
        assert_eq!(
            q.clear_for_request_sense(),
            Some(UnitAttention {
                asc: 0x2a,
                ascq: 0x06
            })
        );
        assert!(q.is_empty());
        q.allocate(0x3f, 0x03);
        q.release_all();
        assert!(q.is_empty());
    }
}
