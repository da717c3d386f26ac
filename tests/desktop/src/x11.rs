//! The X display the tests run on (Xvfb, no window manager): moving the keyboard focus as
//! switching to another program would, and capturing a window as the officer sees it.
//!
//! Screenshots are taken from the X server rather than through WebDriver: WebKit's own
//! snapshot waits for a presentation update that, without GPU compositing (how the app draws,
//! src-tauri/src/rendering.rs), sometimes never comes, and WebKitWebDriver then hangs.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ConfigureWindowAux, ConnectionExt, ImageFormat, InputFocus, MapState, StackMode,
};
use x11rb::rust_connection::RustConnection;

fn connect() -> (RustConnection, u32) {
    let (conn, screen) = x11rb::connect(None).expect("a connection to the X display");
    let root = conn.setup().roots[screen].root;
    (conn, root)
}

/// Gives the keyboard focus to the root window: every application window loses it.
pub fn focus_root() {
    let (conn, root) = connect();
    conn.set_input_focus(InputFocus::PARENT, root, x11rb::CURRENT_TIME)
        .expect("SetInputFocus")
        .check()
        .expect("SetInputFocus was refused");
}

/// The largest mapped top-level window whose `_NET_WM_PID` is `pid`, raised above the others
/// (tests run side by side on one display, and X keeps no contents for a covered window), as a
/// PNG; `None` while that process has no window on screen or it shows one flat colour.
pub fn capture_window_of(pid: u32) -> Option<Vec<u8>> {
    let (conn, root) = connect();
    let wm_pid = conn
        .intern_atom(true, b"_NET_WM_PID")
        .ok()?
        .reply()
        .ok()?
        .atom;
    let children = conn.query_tree(root).ok()?.reply().ok()?.children;
    let mut best: Option<(u32, u16, u16)> = None;
    for window in children {
        let owner = conn
            .get_property(false, window, wm_pid, AtomEnum::CARDINAL, 0, 1)
            .ok()
            .and_then(|c| c.reply().ok())
            .and_then(|r| r.value32().and_then(|mut v| v.next()));
        if owner != Some(pid) {
            continue;
        }
        let mapped = conn
            .get_window_attributes(window)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE);
        let Some(geometry) = conn.get_geometry(window).ok().and_then(|c| c.reply().ok()) else {
            continue;
        };
        let area = |(_, w, h): (u32, u16, u16)| u32::from(w) * u32::from(h);
        let this = (window, geometry.width, geometry.height);
        if mapped && best.is_none_or(|b| area(this) > area(b)) {
            best = Some(this);
        }
    }
    let (window, width, height) = best?;
    conn.configure_window(
        window,
        &ConfigureWindowAux::new().stack_mode(StackMode::ABOVE),
    )
    .ok()?
    .check()
    .ok()?;
    let image = conn
        .get_image(ImageFormat::Z_PIXMAP, window, 0, 0, width, height, !0)
        .ok()?
        .reply()
        .ok()?;
    // A 24-bit TrueColor visual: 4 bytes a pixel, blue-green-red-unused on little-endian X.
    let pixels = usize::from(width) * usize::from(height);
    if image.data.len() != pixels * 4 {
        return None;
    }
    let first = &image.data[..3];
    if image.data.chunks_exact(4).all(|p| &p[..3] == first) {
        return None;
    }
    let rgb: Vec<u8> = image
        .data
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0]])
        .collect();
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, u32::from(width), u32::from(height));
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(&rgb).ok()?;
    writer.finish().ok()?;
    Some(png)
}
