//! How the web view draws on Linux. WebKitGTK composites pages through OpenGL by default; on
//! the old laptops and virtual machines the app runs on that path is the slow one (Mesa's
//! software renderer: each frame of the members screen took 150–300 ms under Xvfb) or a broken
//! one (blank windows with some drivers). Forms and lists need no GPU compositing, so the app
//! asks WebKit not to use it (`WEBKIT_DISABLE_COMPOSITING_MODE=1`): the same screen then draws in
//! about 15 ms. An officer whose machine does better with the GPU sets `KHUYENHOC_GPU=1`; a value
//! set for WebKit itself is left as it is.

use std::ffi::OsStr;

/// WebKitGTK's switch for accelerated compositing, read by the web view and its web processes.
pub const WEBKIT_COMPOSITING_ENV: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
/// Set to `1` to keep WebKit's GPU compositing.
pub const GPU_ENV: &str = "KHUYENHOC_GPU";

/// The variable to set before the web view starts, if any: pure, so it can be tested.
pub fn compositing_override(
    webkit_setting: Option<&OsStr>,
    gpu_opt_in: Option<&OsStr>,
) -> Option<(&'static str, &'static str)> {
    if webkit_setting.is_some() || gpu_opt_in == Some(OsStr::new("1")) {
        return None;
    }
    Some((WEBKIT_COMPOSITING_ENV, "1"))
}

/// Applies [`compositing_override`] to this process (and so to the web processes it starts).
///
/// # Safety
/// Changes the environment: call it first thing in `main`, before any other thread exists.
pub unsafe fn choose_compositing() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let webkit = std::env::var_os(WEBKIT_COMPOSITING_ENV);
    let gpu = std::env::var_os(GPU_ENV);
    if let Some((key, value)) = compositing_override(webkit.as_deref(), gpu.as_deref()) {
        // SAFETY: the caller guarantees no other thread reads or writes the environment.
        unsafe { std::env::set_var(key, value) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositing_is_off_unless_the_gpu_is_asked_for_or_webkit_is_already_set() {
        assert_eq!(
            compositing_override(None, None),
            Some((WEBKIT_COMPOSITING_ENV, "1"))
        );
        assert_eq!(
            compositing_override(None, Some(OsStr::new("0"))),
            Some((WEBKIT_COMPOSITING_ENV, "1"))
        );
        assert_eq!(compositing_override(None, Some(OsStr::new("1"))), None);
        assert_eq!(compositing_override(Some(OsStr::new("0")), None), None);
        assert_eq!(compositing_override(Some(OsStr::new("1")), None), None);
    }
}
