//! Pieces shared by every page: the page frame, form fields, the password checklist and meter.

mod field;
mod layout;
mod password;
mod slider;

pub use field::{FieldError, FormAlert, Live, SubmitButton, TextField};
pub use layout::Page;
pub use password::{Checklist, NewPasswordField, PasswordInput, StrengthMeter};
pub use slider::{Slider, SliderFor, SliderState};

use leptos::prelude::*;

/// True once the WebAssembly has taken over the island; false during server rendering and with
/// JavaScript off. Controls that only work with scripts (show/hide) stay hidden until then.
pub fn hydrated() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    ready
}

/// Keeps what was typed before the WebAssembly took over: copies the input's value into
/// `value` once the page hydrates (the input is never overwritten from the signal, so typing
/// done before hydration is not lost).
pub(crate) fn keep_typed(input: NodeRef<leptos::html::Input>, value: RwSignal<String>) {
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let typed = el.value();
            if !typed.is_empty() && typed != value.get_untracked() {
                value.set(typed);
            }
        }
    });
}

/// Keeps what was typed into the text field `name` for the page load that follows when its
/// form comes back with an error (a plain post is answered with the same page again, with
/// `__err` in the address): [`remember`]ed in this tab's session storage while typing, put
/// back into the empty field then, forgotten on any other page load. A code is never kept (a
/// wrong one is typed again).
pub(crate) fn keep_across_errors(input: NodeRef<leptos::html::Input>, name: &str) {
    let key = typed_key(name);
    Effect::new(move |_| {
        let (Some(el), Some(key), Some(storage)) = (input.get(), key.as_deref(), tab_storage())
        else {
            return;
        };
        let after_error = window()
            .location()
            .search()
            .is_ok_and(|q| q.contains("__err="));
        if !after_error {
            let _ = storage.remove_item(key);
        } else if el.value().is_empty() {
            if let Ok(Some(kept)) = storage.get_item(key) {
                el.set_value(&kept);
            }
        }
    });
}

/// Remembers what is typed into the text field `name` (see [`keep_across_errors`]).
pub(crate) fn remember(name: &str, typed: &str) {
    if let (Some(key), Some(storage)) = (typed_key(name), tab_storage()) {
        let _ = storage.set_item(&key, typed);
    }
}

fn typed_key(name: &str) -> Option<String> {
    (name != "code").then(|| format!("rekey.typed.{name}"))
}

fn tab_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

/// The value of the page's input `id` — a field of another island of the same form; empty on
/// the server and when there is none.
pub(crate) fn input_value(id: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Some(input) = input_by_id(id) {
        return input.value();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
    String::new()
}

/// Sets the value of the page's input `id` (in the browser).
pub(crate) fn set_input_value(id: &str, value: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(input) = input_by_id(id) {
        input.set_value(value);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, value);
}

#[cfg(feature = "hydrate")]
fn input_by_id(id: &str) -> Option<web_sys::HtmlInputElement> {
    use leptos::wasm_bindgen::JsCast;
    document()
        .get_element_by_id(id)
        .and_then(|el| el.dyn_into::<web_sys::HtmlInputElement>().ok())
}
