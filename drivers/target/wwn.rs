// SPDX-License-Identifier: GPL-2.0

//! `core/<hba>/<dev>/wwn`: the T10 identification of a device (LIO: `struct t10_wwn`
//! and the `target_wwn_*` attributes of `target_core_configfs.c`).

use crate::backend::BackendOps;
use crate::device::DeviceCore;
use crate::lio::bytes::kvec_from;
use crate::lio::configfs::{configfs_default_groups, configfs_item_type, Group};
use crate::lio::errno::eoverflow;
use crate::lio::page::Page;
use crate::lio::parse::{c_text, kstrtoul, strstrip};
use core::fmt::Write;
use kernel::prelude::*;
use kernel::sync::Arc;

/// `INQUIRY_VENDOR_LEN`.
const INQUIRY_VENDOR_LEN: usize = 8;
/// `INQUIRY_MODEL_LEN`.
const INQUIRY_MODEL_LEN: usize = 16;
/// `INQUIRY_REVISION_LEN`.
const INQUIRY_REVISION_LEN: usize = 4;
/// `INQUIRY_VPD_SERIAL_LEN`.
const INQUIRY_VPD_SERIAL_LEN: usize = 254;

/// The identification strings and company ID of a device.
pub(crate) struct T10WwnState {
    /// `vendor`, "LIO-ORG" by default.
    pub(crate) vendor: KVec<u8>,
    /// `model`: the backend's `inquiry_prod` by default.
    pub(crate) model: KVec<u8>,
    /// `revision`: the backend's `inquiry_rev` by default.
    pub(crate) revision: KVec<u8>,
    /// `company_id`: the IEEE OUI in the NAA designator.
    pub(crate) company_id: u32,
    /// `unit_serial`: VPD page 0x80, empty until written.
    pub(crate) unit_serial: KVec<u8>,
}

impl T10WwnState {
    /// The defaults of `target_alloc_device()`.
    pub(crate) fn new(backend: &BackendOps) -> Result<Self> {
        Ok(T10WwnState {
            vendor: kvec_from(b"LIO-ORG")?,
            model: kvec_from(backend.inquiry_prod.as_bytes())?,
            revision: kvec_from(backend.inquiry_rev.as_bytes())?,
            company_id: 0x001405,
            unit_serial: KVec::new(),
        })
    }
}

/// The data of `wwn/`.
pub(crate) struct T10Wwn {
    dev: Arc<DeviceCore>,
}

configfs_default_groups!(T10Wwn:);

configfs_item_type! {
    static WWN_TYPE: ItemType<T10Wwn> = [
        "vendor_id" (0o644, show: T10Wwn::vendor_id_show, store: T10Wwn::vendor_id_store),
        "product_id" (0o644, show: T10Wwn::product_id_show, store: T10Wwn::product_id_store),
        "revision" (0o644, show: T10Wwn::revision_show, store: T10Wwn::revision_store),
        "vpd_unit_serial" (0o644,
            show: T10Wwn::vpd_unit_serial_show, store: T10Wwn::vpd_unit_serial_store),
        "vpd_protocol_identifier" (0o444, show: T10Wwn::vpd_list_show),
        "vpd_assoc_logical_unit" (0o444, show: T10Wwn::vpd_list_show),
        "vpd_assoc_target_port" (0o444, show: T10Wwn::vpd_list_show),
        "vpd_assoc_scsi_target_device" (0o444, show: T10Wwn::vpd_list_show),
        "company_id" (0o644, show: T10Wwn::company_id_show, store: T10Wwn::company_id_store),
    ];
}

/// Which identification string a store sets.
#[derive(Clone, Copy)]
enum Field {
    Vendor,
    Model,
    Revision,
}

impl T10Wwn {
    /// The `wwn` default group of a device.
    pub(crate) fn group(dev: Arc<DeviceCore>) -> impl PinInit<Group<T10Wwn>, Error> {
        Group::new(kernel::c_str!("wwn"), &WWN_TYPE, T10Wwn { dev })
    }

    fn show_line(&self, page: &mut Page<'_>, field: Field) -> Result {
        let st = self.dev.state.lock();
        let text = match field {
            Field::Vendor => &st.wwn.vendor,
            Field::Model => &st.wwn.model,
            Field::Revision => &st.wwn.revision,
        };
        page.write_bytes(text)?;
        page.write_bytes(b"\n")?;
        Ok(())
    }

    /// `target_wwn_{vendor,product}_id_store()`, `target_wwn_revision_store()`.
    fn store_field(&self, input: &[u8], field: Field) -> Result {
        let (max, name) = match field {
            Field::Vendor => (INQUIRY_VENDOR_LEN, "vendor"),
            Field::Model => (INQUIRY_MODEL_LEN, "model"),
            Field::Revision => (INQUIRY_REVISION_LEN, "revision"),
        };
        // strscpy() into a buffer of max + 2 bytes fails when the text does not fit.
        let text = c_text(input);
        if text.len() > max + 1 {
            pr_err!(
                "Emulated T10 {} exceeds its INQUIRY length: {}\n",
                name,
                max
            );
            return Err(eoverflow());
        }
        let stripped = strstrip(text);
        if stripped.len() > max {
            pr_err!(
                "Emulated T10 {} exceeds its INQUIRY length: {}\n",
                name,
                max
            );
            return Err(eoverflow());
        }
        if stripped.iter().any(|&c| !(0x20..=0x7e).contains(&c)) {
            pr_err!("Emulated T10 Inquiry Data contains non-ASCII-printable characters\n");
            return Err(EINVAL);
        }
        let value = kvec_from(stripped)?;
        let mut st = self.dev.state.lock();
        if st.export_count != 0 {
            pr_err!(
                "Unable to set T10 {} while active {} exports exist\n",
                name,
                st.export_count
            );
            return Err(EINVAL);
        }
        match field {
            Field::Vendor => st.wwn.vendor = value,
            Field::Model => st.wwn.model = value,
            Field::Revision => st.wwn.revision = value,
        }
        Ok(())
    }

    fn vendor_id_show(&self, page: &mut Page<'_>) -> Result {
        self.show_line(page, Field::Vendor)
    }

    fn vendor_id_store(&self, input: &[u8]) -> Result {
        self.store_field(input, Field::Vendor)
    }

    fn product_id_show(&self, page: &mut Page<'_>) -> Result {
        self.show_line(page, Field::Model)
    }

    fn product_id_store(&self, input: &[u8]) -> Result {
        self.store_field(input, Field::Model)
    }

    fn revision_show(&self, page: &mut Page<'_>) -> Result {
        self.show_line(page, Field::Revision)
    }

    fn revision_store(&self, input: &[u8]) -> Result {
        self.store_field(input, Field::Revision)
    }

    fn company_id_show(&self, page: &mut Page<'_>) -> Result {
        // "%#08x": the 0x counts in the width of 8.
        writeln!(page, "{:#08x}", self.dev.state.lock().wwn.company_id)?;
        Ok(())
    }

    fn company_id_store(&self, input: &[u8]) -> Result {
        let val = kstrtoul(input, 0)?;
        let val = u32::try_from(val).map_err(|_| ERANGE)?;
        if val >= 0x100_0000 {
            return Err(eoverflow());
        }
        let mut st = self.dev.state.lock();
        if st.export_count != 0 {
            pr_err!(
                "Unable to set Company ID while {} exports exist\n",
                st.export_count
            );
            return Err(EINVAL);
        }
        st.wwn.company_id = val;
        Ok(())
    }

    fn vpd_unit_serial_show(&self, page: &mut Page<'_>) -> Result {
        page.write_bytes(b"T10 VPD Unit Serial Number: ")?;
        page.write_bytes(&self.dev.state.lock().wwn.unit_serial)?;
        page.write_bytes(b"\n")?;
        Ok(())
    }

    fn vpd_unit_serial_store(&self, input: &[u8]) -> Result {
        let text = c_text(input);
        if text.len() >= INQUIRY_VPD_SERIAL_LEN {
            pr_err!(
                "Emulated VPD Unit Serial exceeds INQUIRY_VPD_SERIAL_LEN: {}\n",
                INQUIRY_VPD_SERIAL_LEN
            );
            return Err(eoverflow());
        }
        let serial = kvec_from(strstrip(text))?;
        let mut st = self.dev.state.lock();
        if st.export_count != 0 {
            pr_err!(
                "Unable to set VPD Unit Serial while active {} $FABRIC_MOD exports exist\n",
                st.export_count
            );
            return Err(EINVAL);
        }
        st.wwn.unit_serial = serial;
        Ok(())
    }

    /// The designators a pass-through device's firmware reported; emulating backends
    /// have none, so these files are empty.
    fn vpd_list_show(&self, _page: &mut Page<'_>) -> Result {
        Ok(())
    }
}
