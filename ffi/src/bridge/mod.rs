//! One definition per operation, two exports from it.
//!
//! Each operation is written once, as a plain Rust function inside [`bridge_fns!`], over
//! plain Rust types (`String`, `Option<String>`, `Value`, `bool`, `Duration`). Its first
//! argument is a handle of any kind ([`handle::Handle`]: the connector, open or in any
//! state, or a subscription). The macro emits, from that one definition:
//! - the C export (`#[no_mangle] extern "C" fn gr_...`), whose arguments are converted by
//!   [`c_convert::CArg`] and whose result goes to an out-parameter ([`c_convert::CResult`])
//!   or to the status alone ([`c_convert::CStatus`]);
//! - the JNI export, named from the definition (`fn ephemeral_del` is
//!   `Java_group_1redis_NativeLib_ephemeralDel`), converted by [`jni_convert::JniArg`] /
//!   [`jni_convert::JniResult`];
//! - a [`Declaration`] from which `declarations` renders the C prototypes inside
//!   include/group_redis.h and checks java/.../NativeLib.java.
//!
//! So both bridges share one set of JSON shapes, one "none" (0 for tokens and versions,
//! NULL/null for documents), one closed-connector rule ([`handle::Handle::settle`]) and one
//! set of name checks (the core's). The model is libsignal's rust/bridge.

pub(crate) mod c_convert;
pub(crate) mod config;
#[cfg(test)]
mod declarations;
pub(crate) mod handle;
pub(crate) mod jni_convert;
pub(crate) mod values;

/// What the header and the Java declaration check need to know about one operation
/// (read by the `declarations` tests, which render and check them).
#[cfg(test)]
pub(crate) struct Declaration {
    /// The doc comment, one entry per line (as `///` gave them, leading space included).
    pub doc: &'static [&'static str],
    pub c_name: &'static str,
    /// `(C type, parameter name)` in order, the handle first.
    pub c_params: &'static [(&'static str, &'static str)],
    /// The out-parameter, `(C type of what it points to, name)`, if the result has one.
    pub c_out: Option<(&'static str, &'static str)>,
    /// The JNI symbol, or "" for an operation exported to C only.
    pub jni_symbol: &'static str,
    /// `(Java type, parameter name)` after the `long` handle.
    pub java_params: &'static [(&'static str, &'static str)],
    pub java_return: &'static str,
}

/// Defines operations once; see the module docs. Each item is
///
/// ```text
/// /// docs (go to rustdoc, the C header and nowhere else)
/// #[c(gr_name, out = name_out)]      // or optional_out = name_out (NULL accepted), or no out
/// #[jni]                             // omitted: exported to C only
/// fn name(conn: Open, arg: Type, ...) -> Result { body returning grcore::Result<Result> }
/// ```
///
/// The first argument's type is a [`handle::Handle`] (`Open`, `Any`, `gr_subscription`);
/// in the body it is a reference to its `Target`.
macro_rules! bridge_fns {
    ($(
        $(#[doc = $doc:literal])*
        #[c($c_name:ident $(, $out_kind:ident = $out:ident)?)]
        $(#[$jni:ident])?
        fn $name:ident($conn:ident : $kind:ty $(, $arg:ident : $aty:ty)* $(,)?) -> $ret:ty $body:block
    )*) => {
        $(
            #[allow(clippy::unused_unit)]
            fn $name(
                $conn: &<$kind as $crate::bridge::handle::Handle>::Target $(, $arg: $aty)*
            ) -> grcore::Result<$ret> $body

            $crate::bridge::bridge_fns!(@c [$($doc)*] $c_name [$($out_kind $out)?] $name $conn $kind [$($arg : $aty),*] $ret);
            $crate::bridge::bridge_fns!(@jni [$($jni)?] $name $conn $kind [$($arg : $aty),*] $ret);
        )*

        /// The operations of this module, for the header and the Java check.
        #[cfg(test)]
        pub(crate) const DECLARATIONS: &[$crate::bridge::Declaration] = &[$(
            $crate::bridge::Declaration {
                doc: &[$($doc),*],
                c_name: stringify!($c_name),
                c_params: &[
                    (<$kind as $crate::bridge::handle::Handle>::C_TYPE, stringify!($conn)),
                    $((<$aty as $crate::bridge::c_convert::CArg>::C_TYPE, stringify!($arg))),*
                ],
                c_out: $crate::bridge::bridge_fns!(@c_out [$($out)?] $ret),
                jni_symbol: $crate::bridge::bridge_fns!(@jni_symbol [$($jni)?] $name),
                java_params: &[
                    $((<$aty as $crate::bridge::jni_convert::JniArg>::JAVA_TYPE, stringify!($arg))),*
                ],
                java_return: <$ret as $crate::bridge::jni_convert::JniResult>::JAVA_TYPE,
            }
        ),*];
    };

    (@c_out [] $ret:ty) => { None };
    (@c_out [$out:ident] $ret:ty) => {
        Some((<$ret as $crate::bridge::c_convert::CResult>::C_TYPE, stringify!($out)))
    };
    (@jni_symbol [] $name:ident) => { "" };
    (@jni_symbol [jni] $name:ident) => {
        ::pastey::paste! {
            concat!("Java_group_1redis_NativeLib_", stringify!([<$name:lower_camel>]))
        }
    };

    // The call itself, shared by both C forms: the handle and the arguments read from
    // their C forms, the definition run, its outcome settled (an expression).
    (@c_call $name:ident $conn:ident $kind:ty [$($arg:ident : $aty:ty),*]) => {{
        let $conn = <$kind as $crate::bridge::handle::Handle>::from_c($conn)?;
        $(let $arg = <$aty as $crate::bridge::c_convert::CArg>::from_c($arg, stringify!($arg))?;)*
        <$kind as $crate::bridge::handle::Handle>::settle($conn, $name($conn $(, $arg)*))
    }};

    // The C export: the result goes to the out-parameter if the definition names one,
    // else to the status alone.
    (@c [$($doc:literal)*] $c_name:ident [$($out_kind:ident $out:ident)?] $name:ident $conn:ident
        $kind:ty [$($arg:ident : $aty:ty),*] $ret:ty) => {
        $(#[doc = $doc])*
        ///
        /// # Safety
        /// The handle is NULL or live; strings are NULL or NUL-terminated; an
        /// out-parameter is NULL or valid for writes.
        // The signature names the bridge's crate-private conversion traits; the export is
        // for the linker, so its Rust visibility does not matter.
        #[allow(private_interfaces)]
        #[no_mangle]
        pub unsafe extern "C" fn $c_name(
            $conn: *const <$kind as $crate::bridge::handle::Handle>::C,
            $($arg: <$aty as $crate::bridge::c_convert::CArg>::Raw,)*
            $($out: *mut <$ret as $crate::bridge::c_convert::CResult>::Out,)?
        ) -> $crate::c_api::status::gr_status {
            $crate::c_api::status::guard(|| {
                $(let slot = $crate::bridge::c_convert::$out_kind::<$ret>($out, stringify!($out))?;)?
                let result = $crate::bridge::bridge_fns!(@c_call $name $conn $kind [$($arg : $aty),*])?;
                $crate::bridge::bridge_fns!(@c_result result $($out slot)?)
            })
        }
    };
    (@c_result $result:ident) => { $crate::bridge::c_convert::CStatus::into_status($result) };
    (@c_result $result:ident $out:ident $slot:ident) => {{
        if let Some(slot) = $slot {
            *slot = $crate::bridge::c_convert::CResult::into_c($result)?;
        }
        Ok(())
    }};

    (@jni [] $($rest:tt)*) => {};
    (@jni [jni] $name:ident $conn:ident $kind:ty [$($arg:ident : $aty:ty),*] $ret:ty) => {
        ::pastey::paste! {
            #[allow(private_interfaces)]
            #[no_mangle]
            pub extern "system" fn [<Java_group_1redis_NativeLib_ $name:lower_camel>]<'l>(
                mut unowned: jni::EnvUnowned<'l>,
                _class: jni::objects::JClass<'l>,
                $conn: jni::sys::jlong,
                $($arg: <$aty as $crate::bridge::jni_convert::JniArg>::Raw<'l>,)*
            ) -> <$ret as $crate::bridge::jni_convert::JniResult>::Raw<'l> {
                unowned
                    .with_env(|env| -> $crate::jni_api::errors::BridgeResult<_> {
                        // SAFETY: the Java side passes a live handle of this kind (or 0).
                        let $conn = unsafe { <$kind as $crate::bridge::handle::Handle>::from_jni($conn)? };
                        $(let $arg = <$aty as $crate::bridge::jni_convert::JniArg>::from_jni(env, $arg, stringify!($arg))?;)*
                        let result = <$kind as $crate::bridge::handle::Handle>::settle($conn, $name($conn $(, $arg)*))?;
                        $crate::bridge::jni_convert::JniResult::into_jni(result, env)
                    })
                    .resolve::<$crate::jni_api::errors::ThrowGroupRedis>()
            }
        }
    };
}
pub(crate) use bridge_fns;
