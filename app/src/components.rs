//! Pieces shared by every page: the page frame, form fields, the password checklist and meter.

mod field;
mod layout;
mod password;
mod slider;

pub use field::{FieldError, FormAlert, SubmitButton, TextField};
pub use layout::Page;
pub use password::{Checklist, NewPasswordField, PasswordInput, StrengthMeter};
pub use slider::{Fetch, Later, Slider, SliderAnswer, SliderState, Submit};

use leptos::prelude::*;

/// True once the WebAssembly has taken over the page; false during server rendering and with
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
