//! The browser entry point. Pages are server-rendered HTML; only their interactive parts
//! (`#[island]` components in `app`: fields, the password checklist and meter, the slider,
//! "Resend code") are hydrated, so the WebAssembly carries those and nothing else.

use std::time::Duration;

// Links the islands: each `#[island]` exports its own hydrate function from `app`, and nothing
// here names them.
extern crate app;

/// Called by the generated JS glue once the .wasm has loaded; the glue then hydrates each
/// `<leptos-island>` of the page.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // `<html data-hydrated>` once the islands have taken over (tests and screenshots wait for
    // it). The glue hydrates them in a chain of promise callbacks that all run before a timer.
    leptos::prelude::set_timeout(
        || {
            if let Some(root) = leptos::prelude::document().document_element() {
                let _ = root.set_attribute("data-hydrated", "");
            }
        },
        Duration::ZERO,
    );
}
