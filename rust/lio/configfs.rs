// SPDX-License-Identifier: GPL-2.0

//! configfs for lio-rs: a subsystem, groups embedded in their parent's data as default
//! groups, and attributes with per-attribute modes whose `show`/`store` are plain Rust
//! functions of the item's data.
//!
//! C header: [`include/linux/configfs.h`](srctree/include/linux/configfs.h)
//!
//! Layout: a [`Subsystem<T>`] holds the C `configfs_subsystem` and its data `T`; a
//! [`Group<T>`] holds a C `config_group` and its data `T`. An [`ItemType<T>`] (built by
//! [`configfs_item_type!`]) lists the attributes of items whose data is `T`, and can only
//! be given to a `Subsystem<T>` or a `Group<T>`: so when configfs calls an attribute of
//! that type with a `config_item`, the item is the C part of one of those two and the
//! trampoline can recover `&T` from it.
//!
//! Default groups are `Group<U>` fields of the parent's data, named with
//! [`configfs_default_groups!`]; they live and die with the parent.

use super::bindings as b;
use super::page::Page;
use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use kernel::error::to_result;
use kernel::ffi::c_char;
use kernel::init::{pin_init_from_closure, PinInit};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;
use kernel::ThisModule;

/// Produces the text of an attribute into a page.
pub type ShowFn<T> = fn(&T, &mut Page<'_>) -> Result;
/// Parses and applies what user space wrote to an attribute (the raw bytes, usually with
/// a trailing newline).
pub type StoreFn<T> = fn(&T, &[u8]) -> Result;

/// The callbacks of one attribute; [`configfs_item_type!`] implements it on a marker type
/// per attribute, which gives every attribute its own C trampolines.
pub trait AttributeOps: 'static {
    /// The data of the items this attribute belongs to.
    type Data: GroupData;
    /// `show`, if the attribute is readable.
    const SHOW: Option<ShowFn<Self::Data>>;
    /// `store`, if the attribute is writable.
    const STORE: Option<StoreFn<Self::Data>>;
}

/// Data held in a configfs group.
///
/// # Safety
///
/// `for_each_default_group` must pass only [`Group`]s that are fields of `self` (so they
/// are pinned with it and live exactly as long as it). Implement it with
/// [`configfs_default_groups!`], which guarantees that.
pub unsafe trait GroupData: Send + Sync + 'static {
    /// Calls `f` on each default group embedded in `self`, in the order configfs lists them.
    fn for_each_default_group(&self, f: &mut dyn FnMut(&dyn DefaultGroup));
}

/// Implements [`GroupData`] for a type, naming the fields of type [`Group`] that are its
/// default groups (none is fine): `configfs_default_groups!(TargetRoot: core);`. Fields of
/// type [`GroupList`] (default groups chosen at run time) follow a `;`:
/// `configfs_default_groups!(WwnStatDir: ; groups);`.
#[macro_export]
macro_rules! configfs_default_groups {
    ($data:ty : $($field:ident),* $(,)? $(; $($list:ident),* $(,)?)?) => {
        // SAFETY: every group passed is a by-value field of `self` (a `&self.field` of any
        // other type does not coerce to `&dyn DefaultGroup`) or a group owned by a
        // `GroupList` field of `self`, which holds its groups pinned in boxes for its whole
        // life and never adds or removes one after it was made.
        unsafe impl $crate::lio::configfs::GroupData for $data {
            fn for_each_default_group(
                &self,
                _f: &mut dyn FnMut(&dyn $crate::lio::configfs::DefaultGroup),
            ) {
                // A field named twice does not compile (E0025): no group is linked twice.
                let Self { $($field: _,)* $($($list: _,)*)? .. } = self;
                $( _f(&self.$field); )*
                $($(
                    for g in $crate::lio::configfs::GroupList::iter(&self.$list) {
                        _f(g);
                    }
                )*)?
            }
        }
    };
}
pub use crate::configfs_default_groups;

/// Proof of being inside this file: the [`DefaultGroup`] methods take one, so only the
/// linking code here can call them (calling them twice would corrupt configfs' lists).
pub struct Token(());

/// A group as its parent sees it when linking its default groups.
pub trait DefaultGroup {
    /// The C group.
    fn raw_group(&self, _: Token) -> *mut b::config_group;
    /// Records the parent item this group holds a reference on.
    fn set_owner(&self, owner: *mut b::config_item, _: Token);
    /// Links this group's own default groups below it, recursively.
    fn link_children(&self, _: Token);
    /// Undoes [`DefaultGroup::link_children`], dropping the references configfs took.
    fn unlink_children(&self, _: Token);
}

/// One attribute of items whose data is `T`. Built by [`configfs_item_type!`].
#[repr(transparent)]
pub struct Attribute<T> {
    raw: Opaque<b::configfs_attribute>,
    _data: PhantomData<T>,
}

// SAFETY: after construction the C struct is only read (by configfs), never written.
unsafe impl<T> Sync for Attribute<T> {}

impl<T: GroupData> Attribute<T> {
    /// An attribute called `name` with file mode `mode` whose callbacks are `O`'s.
    ///
    /// Fails to compile if the read bits of `mode` disagree with `O::SHOW` or its write
    /// bits with `O::STORE`.
    pub const fn new<O: AttributeOps<Data = T>>(
        name: &'static CStr,
        mode: u16,
        owner: &'static ThisModule,
    ) -> Self {
        assert!(
            (mode & 0o444 != 0) == O::SHOW.is_some(),
            "readable iff it has show"
        );
        assert!(
            (mode & 0o222 != 0) == O::STORE.is_some(),
            "writable iff it has store"
        );
        assert!(
            mode & !0o666 == 0,
            "an attribute mode has only read and write bits"
        );
        Attribute {
            raw: Opaque::new(b::configfs_attribute {
                ca_name: name.as_char_ptr(),
                ca_owner: owner.as_ptr(),
                ca_mode: mode,
                show: if O::SHOW.is_some() {
                    Some(show_trampoline::<O>)
                } else {
                    None
                },
                store: if O::STORE.is_some() {
                    Some(store_trampoline::<O>)
                } else {
                    None
                },
            }),
            _data: PhantomData,
        }
    }

    /// The C attribute, for an [`AttributeList`].
    pub const fn as_raw(&self) -> *mut b::configfs_attribute {
        self.raw.get()
    }
}

/// The NULL-terminated attribute array of an [`ItemType<T>`].
#[repr(transparent)]
pub struct AttributeList<T, const N: usize>([*mut b::configfs_attribute; N], PhantomData<T>);

// SAFETY: the pointers refer to `static` attributes that are only read.
unsafe impl<T, const N: usize> Sync for AttributeList<T, N> {}

impl<T: GroupData, const N: usize> AttributeList<T, N> {
    /// # Safety
    ///
    /// The last pointer must be NULL and every other one must come from
    /// [`Attribute::<T>::as_raw`] of a `static`.
    pub const unsafe fn new(attrs: [*mut b::configfs_attribute; N]) -> Self {
        assert!(N > 0, "the attribute list ends with NULL");
        AttributeList(attrs, PhantomData)
    }
}

/// The C `config_item_type` of items whose data is `T`.
#[repr(transparent)]
pub struct ItemType<T> {
    raw: Opaque<b::config_item_type>,
    _data: PhantomData<T>,
}

// SAFETY: after construction the C struct is only read (by configfs), never written.
unsafe impl<T> Sync for ItemType<T> {}

impl<T: GroupData> ItemType<T> {
    const fn build<const N: usize>(
        owner: &'static ThisModule,
        attrs: &'static AttributeList<T, N>,
        item_ops: &'static b::configfs_item_operations,
        group_ops: *const b::configfs_group_operations,
    ) -> Self {
        ItemType {
            raw: Opaque::new(b::config_item_type {
                ct_owner: owner.as_ptr(),
                // configfs only reads the operation tables.
                ct_item_ops: ptr::from_ref(item_ops).cast_mut(),
                ct_group_ops: group_ops.cast_mut(),
                ct_attrs: attrs.0.as_ptr().cast_mut(),
                ct_bin_attrs: ptr::null_mut(),
            }),
            _data: PhantomData,
        }
    }

    /// An item type owned by `owner` (configfs pins that module while items of this type
    /// exist) with the attributes `attrs`, whose directories take no `mkdir` or links.
    pub const fn new<const N: usize>(
        owner: &'static ThisModule,
        attrs: &'static AttributeList<T, N>,
    ) -> Self {
        Self::build(owner, attrs, const { &OpsOf::<T>::RELEASE }, ptr::null())
    }

    fn as_raw(&self) -> *mut b::config_item_type {
        self.raw.get()
    }
}

impl<T: GroupOperations> ItemType<T> {
    /// As [`ItemType::new`], for directories in which `mkdir` makes `T::Child` groups.
    pub const fn with_children<const N: usize>(
        owner: &'static ThisModule,
        attrs: &'static AttributeList<T, N>,
    ) -> Self {
        Self::build(
            owner,
            attrs,
            const { &OpsOf::<T>::RELEASE },
            const { &OpsOf::<T>::CHILDREN },
        )
    }
}

impl<T: LinkOperations> ItemType<T> {
    /// As [`ItemType::new`], for directories in which symlinks to `T::Target` items may
    /// be made.
    pub const fn with_links<const N: usize>(
        owner: &'static ThisModule,
        attrs: &'static AttributeList<T, N>,
    ) -> Self {
        Self::build(owner, attrs, const { &OpsOf::<T>::LINKS }, ptr::null())
    }
}

/// The C operation tables of items whose data is `T`.
struct OpsOf<T>(PhantomData<T>);

impl<T: GroupData> OpsOf<T> {
    const RELEASE: b::configfs_item_operations = b::configfs_item_operations {
        release: Some(release_trampoline::<T>),
        allow_link: None,
        drop_link: None,
    };
}

impl<T: GroupOperations> OpsOf<T> {
    const CHILDREN: b::configfs_group_operations = b::configfs_group_operations {
        make_item: None,
        make_group: Some(make_group_trampoline::<T>),
        disconnect_notify: None,
        drop_item: Some(drop_item_trampoline::<T>),
        is_visible: None,
        is_bin_visible: None,
    };
}

impl<T: LinkOperations> OpsOf<T> {
    const LINKS: b::configfs_item_operations = b::configfs_item_operations {
        release: Some(release_trampoline::<T>),
        allow_link: Some(allow_link_trampoline::<T>),
        drop_link: Some(drop_link_trampoline::<T>),
    };
}

/// What a directory does on `mkdir` and `rmdir` of its children.
pub trait GroupOperations: GroupData + Sized {
    /// The data of the children.
    type Child: GroupData;

    /// `mkdir NAME`: the new child, made with [`Group::new_child`]. Errors reach user space
    /// as `mkdir`'s errno.
    fn make_group(&self, name: &CStr) -> Result<Pin<KBox<Group<Self::Child>>>>;

    /// `rmdir`: the child leaves configfs (its memory goes once nobody holds it).
    fn drop_item(&self, _child: &Group<Self::Child>) {}
}

/// What a directory does when a symlink to a `Target` item is made in it or removed.
pub trait LinkOperations: GroupData + Sized {
    /// The data of the items links may point to.
    type Target: GroupData;

    /// Their item type: a link to any other item is refused with `EINVAL`. (A method, not
    /// a constant: a fabric's mapped LUNs link to that fabric's own LUN item type.)
    fn target_type(&self) -> &'static ItemType<Self::Target>;

    /// `ln -s TARGET DIR/NAME`; an error refuses the link.
    fn allow_link(&self, target: &Self::Target) -> Result;

    /// `rm DIR/NAME`.
    fn drop_link(&self, target: &Self::Target);
}

/// Builds a `static` [`ItemType`] and its attributes. Each attribute is a name, a mode,
/// and `show` and/or `store` functions of the data, matching the mode. The constructor is
/// [`ItemType::new`] unless named (`= ItemType::with_children [...]`):
///
/// ```ignore
/// configfs_item_type! {
///     static ROOT_TYPE: ItemType<TargetRoot> = [
///         "version" (0o444, show: TargetRoot::version_show),
///         "dbroot" (0o644, show: TargetRoot::dbroot_show, store: TargetRoot::dbroot_store),
///     ];
/// }
/// ```
// `crate::THIS_MODULE` is meant: the module that declares an item type owns it (a fabric's
// item types pin the fabric module, not target_core_mod).
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! configfs_item_type {
    ($vis:vis static $name:ident : ItemType<$data:ty> = [$($body:tt)*];) => {
        $crate::lio::configfs::configfs_item_type! {
            $vis static $name: ItemType<$data> = ItemType::new [$($body)*];
        }
    };
    ($vis:vis static $name:ident : ItemType<$data:ty> = ItemType::$ctor:ident [
        $( $attr:literal ($mode:literal $(, show: $show:path)? $(, store: $store:path)?) ),* $(,)?
    ];) => {
        $vis static $name: $crate::lio::configfs::ItemType<$data> = {
            const N: usize = <[&str]>::len(&[$($attr),*]) + 1;
            // SAFETY: every entry comes from `Attribute::<$data>::as_raw` of a static.
            static LIST: $crate::lio::configfs::AttributeList<$data, N> = unsafe {
                $crate::lio::configfs::AttributeList::new([
                    $({
                        struct Ops;
                        impl $crate::lio::configfs::AttributeOps for Ops {
                            type Data = $data;
                            const SHOW: Option<$crate::lio::configfs::ShowFn<$data>> =
                                $crate::lio::configfs::configfs_item_type!(@opt $($show)?);
                            const STORE: Option<$crate::lio::configfs::StoreFn<$data>> =
                                $crate::lio::configfs::configfs_item_type!(@opt $($store)?);
                        }
                        static ATTR: $crate::lio::configfs::Attribute<$data> =
                            $crate::lio::configfs::Attribute::new::<Ops>(
                                ::kernel::c_str!($attr), $mode, &crate::THIS_MODULE);
                        ATTR.as_raw()
                    },)*
                    ::core::ptr::null_mut(),
                ])
            };
            $crate::lio::configfs::ItemType::$ctor(&crate::THIS_MODULE, &LIST)
        };
    };
    (@opt) => { None };
    (@opt $f:path) => { Some($f) };
}
pub use crate::configfs_item_type;

/// Finds the data of `item`, which configfs passed to an attribute of an `ItemType<T>`.
///
/// # Safety
///
/// `item` must be the item of a registered [`Subsystem<T>`] or of a linked [`Group<T>`],
/// and the returned reference must not outlive that item's owner.
unsafe fn data_of<'a, T: GroupData>(item: *mut b::config_item) -> &'a T {
    // SAFETY: per the function's contract `item` is the `cg_item` of a `config_group`.
    let group = unsafe { kernel::container_of!(item, b::config_group, cg_item) }.cast_mut();
    // SAFETY: `group` is valid; configfs set `cg_subsys` when it linked the group.
    let subsys = unsafe { (*group).cg_subsys };
    // SAFETY: `subsys` is the valid subsystem the group belongs to; only the address of
    // its `su_group` is taken.
    let root = unsafe { ptr::addr_of_mut!((*subsys).su_group) };
    if ptr::eq(root, group) {
        // SAFETY: the root group of a subsystem registered with an `ItemType<T>` belongs
        // to a `Subsystem<T>`, whose `raw` field is the C subsystem.
        let s = unsafe {
            kernel::container_of!(
                subsys.cast::<Opaque<b::configfs_subsystem>>(),
                Subsystem<T>,
                raw
            )
        };
        // SAFETY: `s` is a live, pinned `Subsystem<T>` (contract).
        unsafe { &(*s).data }
    } else {
        // SAFETY: any other group with an `ItemType<T>` is the `raw` field of a `Group<T>`.
        let g = unsafe {
            kernel::container_of!(group.cast::<Opaque<b::config_group>>(), Group<T>, raw)
        };
        // SAFETY: `g` is a live, pinned `Group<T>` (contract).
        unsafe { &(*g).data }
    }
}

unsafe extern "C" fn show_trampoline<O: AttributeOps>(
    item: *mut b::config_item,
    page: *mut c_char,
) -> isize {
    // SAFETY: configfs calls `show` of an attribute of `ItemType<O::Data>` with an item
    // of that type, under `frag_sem` and only while the directory is not dead (rmdir and
    // unregistration mark it dead first, under the same semaphore), so the item is live.
    let data = unsafe { data_of::<O::Data>(item) };
    // SAFETY: configfs hands `show` a zeroed buffer of `PAGE_SIZE` bytes.
    let buf =
        unsafe { core::slice::from_raw_parts_mut(page.cast::<u8>(), kernel::page::PAGE_SIZE) };
    let mut page = Page::new(buf);
    let res = match O::SHOW {
        Some(show) => show(data, &mut page),
        None => Err(EIO),
    };
    match res {
        Ok(()) => page.len() as isize,
        Err(e) => e.to_errno() as isize,
    }
}

unsafe extern "C" fn store_trampoline<O: AttributeOps>(
    item: *mut b::config_item,
    page: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: as in `show_trampoline`.
    let data = unsafe { data_of::<O::Data>(item) };
    // SAFETY: configfs passes `count` readable bytes at `page`.
    let bytes = unsafe { core::slice::from_raw_parts(page.cast::<u8>(), count) };
    let res = match O::STORE {
        Some(store) => store(data, bytes),
        None => Err(EIO),
    };
    match res {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// Zeroes a C group and names it, as `config_group_init_type_name` expects (C callers
/// allocate groups with `kzalloc`). Names of 20 bytes or more are allocated; when that
/// fails configfs leaves the name NULL, which is reported as `ENOMEM`.
///
/// # Safety
///
/// `group` must be valid for writes; `ty` must outlive the group.
unsafe fn init_raw_group<T: GroupData>(
    group: *mut b::config_group,
    name: &CStr,
    ty: &'static ItemType<T>,
) -> Result {
    // SAFETY: `group` is valid for writes (contract); all-zero is a valid config_group.
    unsafe { ptr::write_bytes(group, 0, 1) };
    // SAFETY: `group` is zeroed; the name is copied; `ty` is 'static.
    unsafe { b::config_group_init_type_name(group, name.as_char_ptr(), ty.as_raw()) };
    // SAFETY: `group` is initialised.
    if unsafe { (*group).cg_item.ci_name }.is_null() {
        return Err(ENOMEM);
    }
    Ok(())
}

/// Frees a name `config_item_set_name` allocated, if the item was never released
/// (`config_item_cleanup` frees it and sets it to NULL otherwise).
///
/// # Safety
///
/// `item` must be initialised and no longer used by configfs.
unsafe fn free_unreleased_name(item: *mut b::config_item) {
    // SAFETY: `item` is valid (contract).
    let (name, inline) = unsafe { ((*item).ci_name, ptr::addr_of_mut!((*item).ci_namebuf)) };
    if !name.is_null() && !ptr::eq(name, inline.cast()) {
        // SAFETY: a name outside `ci_namebuf` was allocated with kmalloc by configfs.
        unsafe { kernel::bindings::kfree(name.cast()) };
        // SAFETY: `item` is valid; nobody reads the name any more.
        unsafe { (*item).ci_name = ptr::null_mut() };
    }
}

/// Links the default groups of `data` below `parent`, recursively. Each default group
/// holds a reference on `parent` until configfs releases it, so the memory of a
/// parent made by `mkdir` outlives every item embedded in it.
fn link_default_groups<T: GroupData>(parent: *mut b::config_group, data: &T) {
    data.for_each_default_group(&mut |child| {
        // SAFETY: `parent` is an initialised group; `child` is an initialised group pinned
        // inside `data` (`GroupData` contract), so it outlives the link, which its owner
        // removes with `unlink_default_groups` before it is dropped.
        unsafe { b::lio_configfs_add_default_group(child.raw_group(Token(())), parent) };
        // SAFETY: `parent` is initialised; the reference is dropped by the child's release.
        let owner = unsafe { b::config_item_get(ptr::addr_of_mut!((*parent).cg_item)) };
        child.set_owner(owner, Token(()));
        child.link_children(Token(()));
    });
}

/// Undoes [`link_default_groups`], children first: drops the initial reference of each
/// default group; each one's release then drops its reference on `parent`.
fn unlink_default_groups<T: GroupData>(parent: *mut b::config_group, data: &T) {
    data.for_each_default_group(&mut |child| child.unlink_children(Token(())));
    // SAFETY: `parent` is an initialised group whose `default_groups` list holds only the
    // groups linked above.
    unsafe { b::configfs_remove_default_groups(parent) };
}

/// A configfs group whose data is `T`: a default group embedded in its parent's data
/// ([`Group::new`]), or a directory made by `mkdir` ([`Group::new_child`]).
#[pin_data(PinnedDrop)]
pub struct Group<T: GroupData> {
    #[pin]
    raw: Opaque<b::config_group>,
    /// The parent item this default group holds a reference on while configfs has it.
    owner: AtomicPtr<b::config_item>,
    /// Made by `mkdir`: a leaked `Pin<KBox<Self>>` that its release frees.
    heap: bool,
    #[pin]
    data: T,
}

// SAFETY: the C group is only touched by configfs under its own locks (and by this module
// before registration and after unregistration); `T` is `Send + Sync` (`GroupData`).
unsafe impl<T: GroupData> Send for Group<T> {}
// SAFETY: as for `Send`: shared access from Rust only reads the group's address or `T`.
unsafe impl<T: GroupData> Sync for Group<T> {}

impl<T: GroupData> Group<T> {
    fn init<'a>(
        name: &'a CStr,
        ty: &'static ItemType<T>,
        heap: bool,
        data: impl PinInit<T, Error> + 'a,
    ) -> impl PinInit<Self, Error> + 'a {
        try_pin_init!(Self {
            raw <- {
                let init = move |slot: *mut Opaque<b::config_group>| {
                    // SAFETY: `slot` is valid for writes; `ty` is 'static; the name is
                    // copied by configfs.
                    unsafe { init_raw_group(Opaque::raw_get(slot), name, ty) }
                };
                // SAFETY: `init` initialises the whole field; on failure nothing needs
                // dropping (the name was not allocated).
                unsafe { pin_init_from_closure(init) }
            },
            owner: AtomicPtr::new(ptr::null_mut()),
            heap,
            data <- data,
        }? Error)
    }

    /// A default group called `name` of type `ty` holding `data`, to be embedded in its
    /// parent's data and named with [`configfs_default_groups!`].
    pub fn new<'a>(
        name: &'static CStr,
        ty: &'static ItemType<T>,
        data: impl PinInit<T, Error> + 'a,
    ) -> impl PinInit<Self, Error> + 'a {
        Self::init(name, ty, false, data)
    }

    /// The group `mkdir NAME` makes, for [`GroupOperations::make_group`].
    pub fn new_child(
        name: &CStr,
        ty: &'static ItemType<T>,
        data: impl PinInit<T, Error>,
    ) -> Result<Pin<KBox<Self>>> {
        KBox::pin_init(Self::init(name, ty, true, data), GFP_KERNEL)
    }

    /// The directory's name.
    pub fn name(&self) -> &CStr {
        // SAFETY: `ci_name` points to the NUL-terminated name configfs keeps for the
        // item's whole life (set at initialisation, freed at release).
        unsafe { CStr::from_char_ptr((*self.raw.get()).cg_item.ci_name) }
    }
}

#[pinned_drop]
impl<T: GroupData> PinnedDrop for Group<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: a group is dropped only once configfs has released it (a `heap` group
        // from its release, an embedded one with its parent) or never had it (`mkdir`
        // failed after it was made).
        unsafe { free_unreleased_name(ptr::addr_of_mut!((*self.raw.get()).cg_item)) };
    }
}

impl<T: GroupData> core::ops::Deref for Group<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: GroupData> DefaultGroup for Group<T> {
    fn raw_group(&self, _: Token) -> *mut b::config_group {
        self.raw.get()
    }

    fn set_owner(&self, owner: *mut b::config_item, _: Token) {
        self.owner.store(owner, Ordering::Release);
    }

    fn link_children(&self, _: Token) {
        link_default_groups(self.raw.get(), &self.data);
    }

    fn unlink_children(&self, _: Token) {
        unlink_default_groups(self.raw.get(), &self.data);
    }
}

/// Default groups whose number and names are only known at run time (LIO: the groups a
/// fabric adds with `configfs_add_default_group()`, e.g. iSCSI's statistics groups). A
/// field of the parent's data named after the `;` of [`configfs_default_groups!`]; the
/// list is fixed when it is made.
pub struct GroupList<T: GroupData>(KVec<Pin<KBox<Group<T>>>>);

impl<T: GroupData> GroupList<T> {
    /// One group per `(name, type)` of `groups`, each holding what `data` returns.
    pub fn new(
        groups: &[(&'static CStr, &'static ItemType<T>)],
        mut data: impl FnMut() -> T,
    ) -> Result<Self> {
        let mut list = KVec::with_capacity(groups.len(), GFP_KERNEL)?;
        for &(name, ty) in groups {
            list.push(
                KBox::pin_init(Group::new(name, ty, data()), GFP_KERNEL)?,
                GFP_KERNEL,
            )?;
        }
        Ok(GroupList(list))
    }

    /// The groups, in the order they were given.
    pub fn iter(&self) -> impl Iterator<Item = &Group<T>> {
        self.0.iter().map(|g| &**g)
    }
}

/// The `Group<T>` whose item is `item`.
///
/// # Safety
///
/// `item` must belong to a live `Group<T>` (not to a subsystem's root).
unsafe fn group_of<'a, T: GroupData>(item: *mut b::config_item) -> &'a Group<T> {
    // SAFETY: `cg_item` is the first field of the `config_group` that is `Group<T>::raw`.
    let g = unsafe { kernel::container_of!(item.cast::<Opaque<b::config_group>>(), Group<T>, raw) };
    // SAFETY: live per the contract.
    unsafe { &*g }
}

unsafe extern "C" fn release_trampoline<T: GroupData>(item: *mut b::config_item) {
    // configfs calls release once, for an item of an `ItemType<T>` whose last reference
    // went. A subsystem's root never gets here: `Subsystem` keeps its initial reference
    // until its memory is gone.
    // SAFETY: so the item is the `raw` field of a `Group<T>`.
    let group =
        unsafe { kernel::container_of!(item.cast::<Opaque<b::config_group>>(), Group<T>, raw) }
            .cast_mut();
    // SAFETY: `group` is live until freed below; `owner` is atomic, `heap` read-only.
    let (owner, heap) = unsafe {
        (
            (*group).owner.swap(ptr::null_mut(), Ordering::AcqRel),
            (*group).heap,
        )
    };
    if heap {
        // SAFETY: a `heap` group is the leaked `Pin<KBox<Group<T>>>` of `make_group`;
        // this is its last user, so it is freed exactly once.
        drop(unsafe { Pin::new_unchecked(KBox::from_raw(group)) });
    }
    if !owner.is_null() {
        // SAFETY: the reference taken in `link_default_groups`.
        unsafe { b::config_item_put(owner) };
    }
}

unsafe extern "C" fn make_group_trampoline<O: GroupOperations>(
    group: *mut b::config_group,
    name: *const c_char,
) -> *mut b::config_group {
    // SAFETY: configfs calls `make_group` on a linked group of an `ItemType<O>`.
    let parent = unsafe { data_of::<O>(ptr::addr_of_mut!((*group).cg_item)) };
    // SAFETY: configfs passes the NUL-terminated name of the new directory.
    let name = unsafe { CStr::from_char_ptr(name) };
    match parent.make_group(name) {
        Ok(mut child) => {
            // SAFETY: `heap` is not structurally pinned; the box is uniquely ours. Whatever
            // constructor made it, configfs now owns it and its release must free it.
            unsafe { Pin::get_unchecked_mut(child.as_mut()).heap = true };
            let raw = child.raw_group(Token(()));
            child.link_children(Token(()));
            // SAFETY: configfs now owns the group through its initial reference; the
            // allocation is reclaimed in `release_trampoline` (`heap` is set).
            let _ = KBox::into_raw(unsafe { Pin::into_inner_unchecked(child) });
            raw
        }
        Err(e) => e.to_errno() as isize as *mut b::config_group,
    }
}

unsafe extern "C" fn drop_item_trampoline<O: GroupOperations>(
    group: *mut b::config_group,
    item: *mut b::config_item,
) {
    // SAFETY: configfs calls `drop_item` on the parent (a linked `ItemType<O>` group) of
    // a child it made with `make_group`, which is a `Group<O::Child>`.
    let (parent, child) = unsafe {
        (
            data_of::<O>(ptr::addr_of_mut!((*group).cg_item)),
            group_of::<O::Child>(item),
        )
    };
    parent.drop_item(child);
    child.unlink_children(Token(()));
    // SAFETY: drops the reference `make_group` handed to configfs.
    unsafe { b::config_item_put(item) };
}

/// Finds the data of a symlink's target, if it is an item of `dir.target_type()`.
///
/// # Safety
///
/// `target` must be a live item in configfs.
unsafe fn link_target<'a, L: LinkOperations>(
    dir: &L,
    target: *mut b::config_item,
) -> Option<&'a L::Target> {
    // SAFETY: `target` is valid (contract).
    let ty = unsafe { (*target).ci_type };
    if !ptr::eq(ty, dir.target_type().as_raw()) {
        return None;
    }
    // A concurrent rmdir of the target may already have unlinked it (`cg_subsys` is
    // cleared then): refuse, instead of guessing what kind of group it was.
    // SAFETY: every configfs item with a group type is the `cg_item` of a `config_group`.
    let group = unsafe { kernel::container_of!(target, b::config_group, cg_item) };
    // SAFETY: `group` is valid.
    if unsafe { (*group).cg_subsys }.is_null() {
        return None;
    }
    // SAFETY: an item of `ItemType<L::Target>` in configfs belongs to a linked
    // `Group<L::Target>` or registered `Subsystem<L::Target>`.
    Some(unsafe { data_of::<L::Target>(target) })
}

unsafe extern "C" fn allow_link_trampoline<L: LinkOperations>(
    src: *mut b::config_item,
    target: *mut b::config_item,
) -> kernel::ffi::c_int {
    // SAFETY: configfs calls `allow_link` with the directory (an item of `ItemType<L>`)
    // and the live target item, holding references on both.
    let dir = unsafe { data_of::<L>(src) };
    // SAFETY: the target is live (configfs holds a reference).
    let Some(target) = (unsafe { link_target::<L>(dir, target) }) else {
        return EINVAL.to_errno();
    };
    match dir.allow_link(target) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

unsafe extern "C" fn drop_link_trampoline<L: LinkOperations>(
    src: *mut b::config_item,
    target: *mut b::config_item,
) {
    // SAFETY: as for `allow_link`; only links `allow_link` accepted exist.
    let dir = unsafe { data_of::<L>(src) };
    // SAFETY: as above.
    if let Some(target) = unsafe { link_target::<L>(dir, target) } {
        dir.drop_link(target);
    }
}

/// A configfs subsystem: a directory under `/sys/kernel/config` whose data is `T`,
/// registered while this object lives.
#[pin_data(PinnedDrop)]
pub struct Subsystem<T: GroupData> {
    #[pin]
    raw: Opaque<b::configfs_subsystem>,
    #[pin]
    data: T,
    registered: AtomicBool,
}

// SAFETY: the C subsystem is only touched by configfs under its own locks (and by this
// module before registration and after unregistration); `T` is `Send + Sync`.
unsafe impl<T: GroupData> Send for Subsystem<T> {}
// SAFETY: as for `Send`: shared access from Rust only reads the subsystem's address or `T`.
unsafe impl<T: GroupData> Sync for Subsystem<T> {}

impl<T: GroupData> Subsystem<T> {
    /// Builds the subsystem `name` of type `ty` holding `data`, links its default groups
    /// and registers it with configfs.
    pub fn new(
        name: &'static CStr,
        ty: &'static ItemType<T>,
        data: impl PinInit<T, Error>,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            raw <- {
                let init = move |slot: *mut Opaque<b::configfs_subsystem>| {
                    let raw = Opaque::raw_get(slot);
                    // SAFETY: `raw` is valid for writes.
                    unsafe { init_raw_group(ptr::addr_of_mut!((*raw).su_group), name, ty) }?;
                    // SAFETY: `raw` is valid and its mutex is not yet in use.
                    unsafe { b::lio_configfs_subsystem_mutex_init(raw) };
                    Ok::<(), Error>(())
                };
                // SAFETY: `init` initialises the whole field; on failure nothing needs
                // dropping (the name was not allocated, the mutex not initialised).
                unsafe { pin_init_from_closure(init) }
            },
            data <- data,
            registered: AtomicBool::new(false),
        }? Error)
        .pin_chain(|this| this.register())
    }

    fn register(&self) -> Result {
        let raw = self.raw.get();
        // SAFETY: `raw` is initialised and pinned; only the address is taken.
        let group = unsafe { ptr::addr_of_mut!((*raw).su_group) };
        link_default_groups(group, &self.data);
        // SAFETY: `raw` is an initialised, pinned subsystem that is unregistered in `drop`
        // before its memory goes away.
        to_result(unsafe { b::configfs_register_subsystem(raw) })?;
        self.registered.store(true, Ordering::Release);
        Ok(())
    }
}

impl<T: GroupData> core::ops::Deref for Subsystem<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

#[pinned_drop]
impl<T: GroupData> PinnedDrop for Subsystem<T> {
    fn drop(self: Pin<&mut Self>) {
        let raw = self.raw.get();
        if self.registered.load(Ordering::Acquire) {
            // Unregistering removes every directory and the references configfs took;
            // it waits for running attribute callbacks (frag_sem), and open files pin
            // the owning module, whose init failure or exit is what drops a subsystem.
            // SAFETY: registered in `register`, not yet unregistered.
            unsafe { b::configfs_unregister_subsystem(raw) };
        }
        // SAFETY: only the address is taken.
        let group = unsafe { ptr::addr_of_mut!((*raw).su_group) };
        unlink_default_groups(group, &self.data);
        // SAFETY: the subsystem is unregistered, so nobody holds its mutex.
        unsafe { b::lio_configfs_subsystem_mutex_destroy(raw) };
        // SAFETY: unregistered: configfs no longer uses the root item.
        unsafe { free_unreleased_name(ptr::addr_of_mut!((*raw).su_group.cg_item)) };
    }
}
