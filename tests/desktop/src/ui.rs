//! Driving the window the way an officer does: typing into a field, clicking a button (both by
//! `data-testid`, retried while the page re-renders the element), and screenshots into
//! `docs/screenshots/` (also taken when a step fails).

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::Locator;

use crate::Desktop;

pub fn shot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../docs/screenshots/{name}.png"))
}

pub async fn screenshot(app: &Desktop, name: &str) {
    let png = app.screenshot().await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let path = shot_path(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, png).unwrap();
}

/// Retries `action` on a fresh lookup of `testid` while the page replaces the element under
/// it (a re-rendered form): WebDriver then answers "stale element".
pub async fn with_element<F, Fut>(app: &Desktop, testid: &str, mut action: F)
where
    F: FnMut(fantoccini::elements::Element) -> Fut,
    Fut: std::future::Future<Output = Result<(), fantoccini::error::CmdError>>,
{
    let end = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let element = app.by_testid(testid).await;
        match action(element).await {
            Ok(()) => return,
            Err(e)
                if std::time::Instant::now() < end
                    && format!("{e:?}").contains("StaleElementReference") =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => {
                screenshot(app, "failed").await;
                panic!("[data-testid={testid}]: {e} (docs/screenshots/failed.png)");
            }
        }
    }
}

pub async fn type_into(app: &Desktop, testid: &str, text: &str) {
    with_element(app, testid, |e| async move {
        e.clear().await?;
        if text.is_empty() {
            // A key press, so the page hears an input event: a space, then Backspace.
            e.send_keys(" \u{E003}").await
        } else {
            e.send_keys(text).await
        }
    })
    .await
}

pub async fn click(app: &Desktop, testid: &str) {
    let client = app.client.clone();
    with_element(app, testid, |e| {
        let client = client.clone();
        async move {
            // Into the middle of its scrolling pane first (WebKitWebDriver does not scroll
            // nested panes).
            let arg = serde_json::to_value(&e).expect("an element serialises");
            client
                .execute("arguments[0].scrollIntoView({block: 'center'})", vec![arg])
                .await?;
            e.click().await
        }
    })
    .await
}

/// Waits until the member list shows exactly `want`, in order.
pub async fn wait_rows(app: &Desktop, want: &[&str]) {
    let end = std::time::Instant::now() + Duration::from_secs(20);
    let mut names: Vec<String> = Vec::new();
    while std::time::Instant::now() < end {
        // The rows' text as the page holds it (WebDriver's "visible text" of rows inside the
        // virtualised list's transformed box comes back empty in WebKit).
        names = app
            .client
            .execute(
                "return Array.from(document.querySelectorAll('[data-testid=member-row] .name')).map(e => e.textContent)",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        if names == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(app, "failed").await;
    panic!("the member list shows {names:?}, want {want:?} (docs/screenshots/failed.png)");
}

/// Chooses the option named `label` in the select `testid`.
pub async fn select_label(app: &Desktop, testid: &str, label: &str) {
    let e = app.by_testid(testid).await;
    // Options are indented with no-break spaces by depth; match on the name itself.
    let options = e.find_all(Locator::Css("option")).await.unwrap();
    for o in options {
        let text = o.text().await.unwrap_or_default();
        if text.trim_start_matches('\u{a0}').trim() == label {
            o.click().await.unwrap();
            return;
        }
    }
    panic!("no option {label:?} in [data-testid={testid}]");
}

/// Clicks the unit `name` in the unit tree, once the tree draws it.
pub async fn click_unit(app: &Desktop, name: &str) {
    app.client
        .wait()
        .for_element(Locator::Css(&format!("[data-unit-name=\"{name}\"]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}
