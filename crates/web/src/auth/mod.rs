//! Who is asking, and may they: identity resolution (session cookie or API token), the
//! CSRF check for every state-changing request, and role-typed extractors.

pub mod crypto;
mod csrf;
mod extract;
mod identity;

pub use csrf::csrf_guard;
pub use extract::{Access, Auth, SessionCtx};
pub use identity::{
    Identity, LANG_COOKIE, PRE_COOKIE, SESSION_COOKIE, Via, cookie, resolve_identity, set_cookie,
};

/// Role sets that routes declare. Each is both a type (for the extractor) and a list
/// (for the route table).
pub mod roles {
    use super::Access;
    use khien_domain::Role;

    macro_rules! access {
        ($name:ident, $($role:ident),+) => {
            pub struct $name;
            impl Access for $name {
                const ROLES: &'static [Role] = &[$(Role::$role),+];
                const NAMES: &'static [&'static str] = &[$(Role::$role.as_str()),+];
            }
        };
    }

    access!(
        AnyRole,
        ProvinceAdmin,
        Inspector,
        Responder,
        UnitManager,
        UnitStaff,
        Viewer
    );
    access!(SystemEditor, ProvinceAdmin, UnitManager, UnitStaff);
    access!(UnitEditor, ProvinceAdmin, UnitManager);
    access!(ProvinceAdmin, ProvinceAdmin);
    // Who runs and concludes threat hunts: the response team and the units' IT people.
    access!(HuntRunner, ProvinceAdmin, Responder, UnitManager, UnitStaff);
}
